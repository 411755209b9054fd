"""The custom losses follow mmdet's loss API (``weighted_loss``, ``weight``, ``reduction``,
``avg_factor``, ``reduction_override``), and their default call gives what the bare modules
gave before (the reference functions below transcribe those, formula for formula)."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmstvg.models.losses import (ScaledIoUBCELoss, SpatialAttentionLoss, TemporalAttentiveLoss,
                                  ThresholdGaussianFocalLoss, scaled_iou_bce_loss,
                                  spatial_attention_loss, temporal_attentive_loss,
                                  threshold_gaussian_focal_loss)

LN3 = math.log(3)


# --- the previous implementations, as references for the default call ---
def _ref_focal(pred, target, avg_factor, alpha=2.0, beta=4.0, gamma=0.8, eps=1e-6):
    p = pred.clamp(eps, 1 - eps)
    pos_term = (1 - p).pow(alpha) * p.log()
    neg_term = (1 - target).pow(beta) * p.pow(alpha) * (1 - p).log()
    return -torch.where(target > gamma, pos_term, neg_term).sum() / avg_factor


def _ref_attn(attn, boxes, eps=1e-6):
    target = SpatialAttentionLoss.box_mask(boxes, attn.shape[-2], attn.shape[-1])
    ce = -(target * attn.clamp(min=eps).log()).flatten(1).sum(1)
    return ce.sum() / len(attn)


def _ref_tal(logits, target, mask):
    pos = target & mask
    has_pos = pos.any(1)
    fill = ~mask & mask.any(1, keepdim=True)
    log_p = F.log_softmax(logits.masked_fill(fill, float('-inf')), dim=1)
    nll = -torch.where(pos, log_p, log_p.new_zeros(())).sum(1)
    return (nll / pos.sum(1).clamp(min=1))[has_pos].mean()


def _ref_bce(logits, iou, mask, min_iou=0.0, max_iou=1.0):
    target = ((iou - min_iou) / (max_iou - min_iou)).clamp(0, 1)
    return F.binary_cross_entropy_with_logits(
        logits[mask], target[mask], reduction='sum') / mask.sum()


def test_default_calls_equal_the_previous_losses():
    g = torch.Generator().manual_seed(0)
    # ThresholdGaussianFocalLoss as GaussianHeatmapHead calls it (avg_factor = #boxes)
    pred, target = torch.rand(3, 5, 6, generator=g), torch.rand(3, 5, 6, generator=g)
    torch.testing.assert_close(
        ThresholdGaussianFocalLoss(loss_weight=2.0)(pred, target, avg_factor=3.0),
        2.0 * _ref_focal(pred, target, 3.0))
    # SpatialAttentionLoss as the grounders call it
    attn = torch.rand(4, 5, 6, generator=g)
    attn = attn / attn.flatten(1).sum(1)[:, None, None]
    xy = torch.rand(4, 2, generator=g) * 0.5
    boxes = torch.cat([xy, xy + 0.1 + torch.rand(4, 2, generator=g) * 0.4], 1)
    torch.testing.assert_close(SpatialAttentionLoss()(attn, boxes), _ref_attn(attn, boxes))
    # TemporalAttentiveLoss as TAN2DHead / QueryBoxHead call it (padding, no-positive rows)
    logits = torch.randn(4, 7, generator=g)
    mask = torch.arange(7)[None] < torch.tensor([7, 5, 3, 0])[:, None]
    span = (torch.arange(7)[None] >= torch.tensor([1, 2, 4, 0])[:, None]) & (
        torch.arange(7)[None] <= torch.tensor([4, 6, 6, 3])[:, None])
    torch.testing.assert_close(
        TemporalAttentiveLoss(loss_weight=0.5)(logits, span, mask),
        0.5 * _ref_tal(logits, span, mask))
    # ScaledIoUBCELoss as TAN2DHead calls it (upper-triangular map mask)
    score, iou = torch.randn(2, 6, 6, generator=g), torch.rand(2, 6, 6, generator=g)
    map_mask = torch.ones(6, 6, dtype=torch.bool).triu()[None].repeat(2, 1, 1)
    map_mask[1, :, 4:] = False
    torch.testing.assert_close(
        ScaledIoUBCELoss(loss_weight=5.0)(score, iou, map_mask),
        5.0 * _ref_bce(score, iou, map_mask))
    torch.testing.assert_close(
        ScaledIoUBCELoss(min_iou=0.5)(score, iou, map_mask),
        _ref_bce(score, iou, map_mask, min_iou=0.5))


def test_threshold_focal_weight_avg_factor_and_reductions():
    # two pixels: a positive (h = 0.9 > 0.8, p = 0.5) and a negative (h = 0.5, p = 0.5)
    pred = torch.tensor([0.5, 0.5])
    target = torch.tensor([0.9, 0.5])
    pos = -(0.5**2) * math.log(0.5)  # (1-p)^2 * -log p
    neg = -(0.5**4) * (0.5**2) * math.log(0.5)  # (1-h)^4 p^2 * -log(1-p)
    loss = ThresholdGaussianFocalLoss()
    torch.testing.assert_close(
        loss(pred, target, reduction_override='none'), torch.tensor([pos, neg]))
    torch.testing.assert_close(loss(pred, target), torch.tensor((pos + neg) / 2))
    torch.testing.assert_close(
        loss(pred, target, reduction_override='sum'), torch.tensor(pos + neg))
    torch.testing.assert_close(loss(pred, target, avg_factor=4), torch.tensor((pos + neg) / 4))
    w = torch.tensor([2.0, 0.0])
    torch.testing.assert_close(loss(pred, target, w, avg_factor=1), torch.tensor(2 * pos))
    torch.testing.assert_close(
        ThresholdGaussianFocalLoss(reduction='sum', loss_weight=3.0)(pred, target),
        torch.tensor(3 * (pos + neg)))
    torch.testing.assert_close(
        threshold_gaussian_focal_loss(pred, target, reduction='sum'), torch.tensor(pos + neg))
    with pytest.raises(ValueError, match='avg_factor'):
        loss(pred, target, avg_factor=2, reduction_override='sum')


def test_spatial_attention_weight_avg_factor_and_reductions():
    box = torch.tensor([[0.0, 0.0, 0.5, 0.5]] * 2)  # top-left 2x2 cells of a 4x4 map
    attn = torch.full((2, 4, 4), 1 / 16)
    attn[1] = 0
    attn[1, :2, :2] = 0.25
    ce = torch.tensor([math.log(16), math.log(4)])
    loss = SpatialAttentionLoss()
    torch.testing.assert_close(loss(attn, box, reduction_override='none'), ce)
    torch.testing.assert_close(loss(attn, box), ce.mean())
    torch.testing.assert_close(loss(attn, box, avg_factor=4), ce.sum() / 4)
    torch.testing.assert_close(loss(attn, box, torch.tensor([0.0, 3.0])), 3 * ce[1] / 2)
    torch.testing.assert_close(
        SpatialAttentionLoss(reduction='sum', loss_weight=2.0)(attn, box), 2 * ce.sum())
    torch.testing.assert_close(spatial_attention_loss(attn, box, reduction='none'), ce)
    empty = torch.zeros(0, 4, 4, requires_grad=True)
    assert loss(empty, torch.zeros(0, 4)).item() == 0


def test_temporal_attentive_weight_avg_factor_and_reductions():
    # logits [0, ln 3] -> softmax [1/4, 3/4]; sample 1 has no positive
    logits = torch.tensor([[0.0, LN3], [0.0, 0.0]])
    target = torch.tensor([[False, True], [False, False]])
    mask = torch.ones(2, 2, dtype=torch.bool)
    nll = torch.tensor([math.log(4 / 3), 0.0])
    loss = TemporalAttentiveLoss()
    torch.testing.assert_close(loss(logits, target, mask, reduction_override='none'), nll)
    # 'mean' averages over the one sample with a positive, not over both
    torch.testing.assert_close(loss(logits, target, mask), nll[0])
    torch.testing.assert_close(loss(logits, target), nll[0])  # mask defaults to all frames
    torch.testing.assert_close(loss(logits, target, mask, avg_factor=2), nll[0] / 2)
    torch.testing.assert_close(loss(logits, target, mask, torch.tensor([4.0, 1.0])), 4 * nll[0])
    torch.testing.assert_close(loss(logits, target, mask, reduction_override='sum'), nll[0])
    torch.testing.assert_close(
        temporal_attentive_loss(logits, target, mask=mask, reduction='none'), nll)


def test_scaled_iou_bce_weight_avg_factor_and_reductions():
    # logit ln 3 -> p = 3/4; cell 0 target 3/4, cell 1 target 0, cell 2 masked out
    logits = torch.tensor([[[LN3, LN3, 0.0]]])
    iou = torch.tensor([[[0.75, 0.0, 0.5]]])
    mask = torch.tensor([[[True, True, False]]])
    c0 = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    c1 = -math.log(0.25)
    loss = ScaledIoUBCELoss()
    torch.testing.assert_close(
        loss(logits, iou, mask, reduction_override='none'), torch.tensor([[[c0, c1, 0.0]]]))
    torch.testing.assert_close(loss(logits, iou, mask), torch.tensor((c0 + c1) / 2))
    torch.testing.assert_close(loss(logits, iou, mask, avg_factor=4), torch.tensor((c0 + c1) / 4))
    w = torch.tensor([[[0.0, 2.0, 7.0]]])  # the masked cell stays out whatever its weight
    torch.testing.assert_close(
        loss(logits, iou, mask, w, reduction_override='sum'), torch.tensor(2 * c1))
    torch.testing.assert_close(
        scaled_iou_bce_loss(logits[mask], iou[mask], reduction='sum'), torch.tensor(c0 + c1))
