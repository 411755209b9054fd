import math

import pytest
import torch

from mmstvg.models.losses import TemporalAttentiveLoss
from mmstvg.registry import MODELS
from mmstvg.utils import register_all_modules

register_all_modules()

LN3 = math.log(3)


def test_hand_computed_values():
    loss = TemporalAttentiveLoss()
    # logits [0, ln 3] -> softmax [1/4, 3/4]
    logits = torch.tensor([[0.0, LN3]])
    mask = torch.tensor([[True, True]])
    out = loss(logits, torch.tensor([[False, True]]), mask)
    assert out.item() == pytest.approx(math.log(4 / 3), abs=1e-6)  # -log(3/4)
    out = loss(logits, torch.tensor([[True, True]]), mask)
    assert out.item() == pytest.approx((math.log(4) + math.log(4 / 3)) / 2, abs=1e-6)


def test_padding_is_ignored():
    loss = TemporalAttentiveLoss()
    # a padded third frame with a huge logit, marked in-span, must change nothing
    logits = torch.tensor([[0.0, LN3, 100.0]])
    target = torch.tensor([[False, True, True]])
    mask = torch.tensor([[True, True, False]])
    assert loss(logits, target, mask).item() == pytest.approx(math.log(4 / 3), abs=1e-6)


def test_batch_mean_skips_samples_without_positives_and_weight():
    loss = MODELS.build(dict(type='TemporalAttentiveLoss', loss_weight=2.0))
    assert isinstance(loss, TemporalAttentiveLoss)
    logits = torch.tensor([[0.0, LN3, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [5.0, -1.0, 0.0, 0.0],
                           [0.0, 0.0, 0.0, 0.0]])
    target = torch.tensor([
        [False, True, False, False],
        [True, False, False, False],
        [False, False, False, False],  # no positive: left out of the mean
        [True, True, False, False]
    ])  # fully padded: left out too
    mask = torch.tensor([[True, True, False, False], [True, True, True, True],
                         [True, True, True, False], [False, False, False, False]])
    logits.requires_grad_(True)
    out = loss(logits, target, mask)
    # sample 0: -log(3/4); sample 1: uniform over 4 frames, -log(1/4)
    expected = 2.0 * (math.log(4 / 3) + math.log(4)) / 2
    assert out.item() == pytest.approx(expected, abs=1e-6)
    out.backward()
    assert torch.isfinite(logits.grad).all()
    assert (logits.grad[2:] == 0).all()  # samples without positives get no gradient
    assert (logits.grad[0, 2:] == 0).all()  # nor do padded frames


def test_no_positive_keeps_graph():
    loss = TemporalAttentiveLoss()
    logits = torch.randn(2, 3, requires_grad=True)
    out = loss(logits, torch.zeros(2, 3, dtype=torch.bool), torch.ones(2, 3, dtype=torch.bool))
    assert out.item() == 0
    out.backward()
    assert logits.grad is not None and (logits.grad == 0).all()


def test_lower_when_mass_on_span():
    loss = TemporalAttentiveLoss()
    target = torch.tensor([[False, True, True, False]])
    mask = torch.ones(1, 4, dtype=torch.bool)
    good = loss(torch.tensor([[-3.0, 3.0, 3.0, -3.0]]), target, mask)
    bad = loss(torch.tensor([[3.0, -3.0, -3.0, 3.0]]), target, mask)
    assert good < bad
