"""Shared by the grounder tests."""
import pytest

from mmstvg.models.grounders import BaseGrounder


class NetworkFreeGrounder(BaseGrounder):
    """A grounder without a network, to drive ``predict_tubes`` directly."""

    def loss(self, inputs, data_samples):
        return {}

    def predict(self, inputs, data_samples):
        return data_samples

    def _forward(self, inputs, data_samples=None):
        return {}


@pytest.fixture
def network_free_grounder():
    """The class :class:`NetworkFreeGrounder` (build it with the ``test_cfg`` a test needs)."""
    return NetworkFreeGrounder
