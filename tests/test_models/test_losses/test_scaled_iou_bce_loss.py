import math

import pytest
import torch

from mmstvg.models.losses import ScaledIoUBCELoss
from mmstvg.registry import MODELS
from mmstvg.utils import register_all_modules

register_all_modules()

LN3 = math.log(3)


def test_default_target_is_iou():
    loss = ScaledIoUBCELoss()
    # logit ln 3 -> p = 3/4; target = IoU = 3/4
    out = loss(torch.tensor([[[LN3]]]), torch.tensor([[[0.75]]]), torch.tensor([[[True]]]))
    expected = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    assert out.item() == pytest.approx(expected, abs=1e-6)


def test_rescaled_clamped_and_masked():
    loss = MODELS.build(dict(type='ScaledIoUBCELoss', min_iou=0.5, max_iou=1.0, loss_weight=3.0))
    assert isinstance(loss, ScaledIoUBCELoss)
    logits = torch.tensor([[[LN3, LN3], [100.0, 0.0]]])
    iou = torch.tensor([[[0.75, 0.25], [1.0, 0.5]]])
    mask = torch.tensor([[[True, True], [False, True]]])
    # targets: (0.75-0.5)/0.5 = 0.5; 0.25 -> clamped to 0; masked cell; 0.5 -> 0
    cell0 = -(0.5 * math.log(0.75) + 0.5 * math.log(0.25))
    cell1 = -math.log(0.25)
    cell3 = math.log(2)  # logit 0: -log(1/2) whatever the target
    out = loss(logits, iou, mask)
    assert out.item() == pytest.approx(3.0 * (cell0 + cell1 + cell3) / 3, abs=1e-5)
    # the masked cell's logit and IoU do not matter
    logits2, iou2 = logits.clone(), iou.clone()
    logits2[0, 1, 0], iou2[0, 1, 0] = -50.0, 0.0
    assert torch.allclose(loss(logits2, iou2, mask), out)


def test_empty_mask_and_validation():
    loss = ScaledIoUBCELoss()
    logits = torch.randn(1, 3, 3, requires_grad=True)
    out = loss(logits, torch.rand(1, 3, 3), torch.zeros(1, 3, 3, dtype=torch.bool))
    assert out.item() == 0
    out.backward()
    assert (logits.grad == 0).all()
    with pytest.raises(ValueError):
        ScaledIoUBCELoss(min_iou=0.5, max_iou=0.5)
    with pytest.raises(ValueError):
        ScaledIoUBCELoss(min_iou=0.7, max_iou=0.3)
