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

from mmstvg.registry import MODELS


@MODELS.register_module()
class SpatialAttentionLoss(nn.Module):
    """Cross-entropy between an attention map and a GT-box mask.

    Args:
        loss_weight (float): weight of the loss.
        eps (float): floor of the attention before the log.
    """

    def __init__(self, loss_weight: float = 1.0, eps: float = 1e-6) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.eps = eps

    @staticmethod
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
        inside = ((xs[None, None] >= x1) & (xs[None, None] <= x2) &
                  (ys[None, :, None] >= y1) & (ys[None, :, None] <= y2)).to(boxes.dtype)
        cx = ((boxes[:, 0] + boxes[:, 2]) / 2 * w).long().clamp(0, w - 1)
        cy = ((boxes[:, 1] + boxes[:, 3]) / 2 * h).long().clamp(0, h - 1)
        centre = torch.zeros_like(inside)
        centre[torch.arange(len(boxes), device=boxes.device), cy, cx] = 1
        empty = inside.flatten(1).sum(1) == 0
        inside[empty] = centre[empty]
        return inside / inside.flatten(1).sum(1)[:, None, None]

    def forward(self, attn: torch.Tensor, boxes: torch.Tensor,
                avg_factor: Optional[float] = None) -> torch.Tensor:
        """Compute the loss.

        Args:
            attn (Tensor): (M, h, w) attention maps (each sums to 1).
            boxes (Tensor): (M, 4) normalised xyxy GT boxes.
            avg_factor (float, optional): divisor (defaults to M).

        Returns:
            Tensor: scalar loss.
        """
        if attn.numel() == 0:
            return attn.sum() * 0
        target = self.box_mask(boxes, attn.shape[-2], attn.shape[-1])
        ce = -(target * attn.clamp(min=self.eps).log()).flatten(1).sum(1)
        return self.loss_weight * ce.sum() / (avg_factor or len(attn))
