"""Supervision of a spatial attention map by the GT box.

The target distribution over feature-map cells is uniform over the cells whose centres lie
inside the GT box (the cell that contains the box centre when none does, e.g. small boxes);
the loss is the cross-entropy of the attention against it, i.e. ``KL(target || attn)`` up to
the target's entropy. It pushes the text-guided attention onto the described object, the idea
behind the attention supervision that STVG grounders use to speed up spatial learning.
"""
from typing import Optional

import torch
import torch.nn as nn
from mmdet.models.losses.utils import weighted_loss

from mmstvg.registry import MODELS


def box_mask(boxes: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """Target distributions.

    Args:
        boxes (Tensor): (M, 4) normalised xyxy.
        h, w (int): feature-map size.

    Returns:
        Tensor: (M, h, w), each summing to 1.
    """
    ys = (torch.arange(h, device=boxes.device, dtype=boxes.dtype) + 0.5) / h
    xs = (torch.arange(w, device=boxes.device, dtype=boxes.dtype) + 0.5) / w
    x1, y1, x2, y2 = (boxes[:, i, None, None] for i in range(4))
    inside = ((xs[None, None] >= x1) & (xs[None, None] <= x2) & (ys[None, :, None] >= y1) &
              (ys[None, :, None] <= y2)).to(boxes.dtype)
    cx = ((boxes[:, 0] + boxes[:, 2]) / 2 * w).long().clamp(0, w - 1)
    cy = ((boxes[:, 1] + boxes[:, 3]) / 2 * h).long().clamp(0, h - 1)
    centre = torch.zeros_like(inside)
    centre[torch.arange(len(boxes), device=boxes.device), cy, cx] = 1
    empty = inside.flatten(1).sum(1) == 0
    inside[empty] = centre[empty]
    return inside / inside.flatten(1).sum(1)[:, None, None]


@weighted_loss
def spatial_attention_loss(pred: torch.Tensor,
                           target: torch.Tensor,
                           eps: float = 1e-6) -> torch.Tensor:
    """Cross-entropy of every attention map against its GT-box distribution.

    Args:
        pred (Tensor): (M, h, w) attention maps (each sums to 1).
        target (Tensor): (M, 4) normalised xyxy GT boxes.
        eps (float): floor of the attention before the log.

    Returns:
        Tensor: (M,) loss of every map.
    """
    dist = box_mask(target, pred.shape[-2], pred.shape[-1])
    return -(dist * pred.clamp(min=eps).log()).flatten(1).sum(1)


@MODELS.register_module()
class SpatialAttentionLoss(nn.Module):
    """Cross-entropy between an attention map and a GT-box mask.

    Args:
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``. Defaults to ``'mean'`` (over
            the maps, or the sum divided by ``avg_factor`` when given).
        loss_weight (float): weight of the loss.
        eps (float): floor of the attention before the log.
    """

    box_mask = staticmethod(box_mask)

    def __init__(self,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 eps: float = 1e-6) -> None:
        super().__init__()
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.eps = eps

    def forward(self,
                pred: torch.Tensor,
                target: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> torch.Tensor:
        """Compute the loss.

        Args:
            pred (Tensor): (M, h, w) attention maps (each sums to 1).
            target (Tensor): (M, 4) normalised xyxy GT boxes.
            weight (Tensor, optional): (M,) weight of every map.
            avg_factor (float, optional): divisor of the sum for ``'mean'`` (defaults to M).
            reduction_override (str, optional): overrides ``reduction`` for this call.

        Returns:
            Tensor: scalar loss, or (M,) for ``'none'``; ``pred.sum() * 0`` when M is 0.
        """
        assert reduction_override in (None, 'none', 'mean', 'sum')
        reduction = reduction_override if reduction_override else self.reduction
        if pred.numel() == 0 and reduction != 'none':
            return pred.sum() * 0
        return self.loss_weight * spatial_attention_loss(
            pred, target, weight, reduction=reduction, avg_factor=avg_factor, eps=self.eps)
