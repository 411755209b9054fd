"""Fixtures of the synthetic benchmark tests: tiny generations in a temporary directory."""
import pytest
from synthetic_test_helpers import TINY


@pytest.fixture(scope='session')
def tiny_synth(tmp_path_factory) -> str:
    """Directory of a tiny generation (``TINY``, 1 worker)."""
    from mmstvg.datasets.synthetic import generate_synthetic_stvg
    out = str(tmp_path_factory.mktemp('synth') / 'synth_stvg')
    generate_synthetic_stvg(out, workers=1, log=None, **TINY)
    return out
