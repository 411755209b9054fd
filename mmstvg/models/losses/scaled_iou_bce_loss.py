"""Temporal grounding loss ``L_tg`` of STVGFormer §1.5, Eq. 5 (after 2D-TAN, Zhang et al.,
AAAI 2020).

Binary cross-entropy between the predicted 2D score map and the IoU of every proposal with the
GT moment, linearly rescaled as in 2D-TAN:

    y_ij = clamp((IoU_ij - min_iou) / (max_iou - min_iou), 0, 1),
    L = mean over valid (i <= j, real frames) cells of BCE(sigmoid(s_ij), y_ij).

With the defaults (``min_iou=0``, ``max_iou=1``) the target is the IoU itself, as the STVGFormer
paper states; 2D-TAN's own rescaling is ``min_iou=0.5, max_iou=1.0``.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmstvg.registry import MODELS


@MODELS.register_module()
class ScaledIoUBCELoss(nn.Module):
    """BCE-with-logits against rescaled proposal IoUs.

    Args:
        min_iou (float): IoU mapped to target 0 (and below).
        max_iou (float): IoU mapped to target 1 (and above).
        loss_weight (float): weight of the loss.
    """

    def __init__(self, min_iou: float = 0.0, max_iou: float = 1.0,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if not min_iou < max_iou:
            raise ValueError(f'min_iou ({min_iou}) must be smaller than max_iou ({max_iou})')
        self.min_iou = min_iou
        self.max_iou = max_iou
        self.loss_weight = loss_weight

    def forward(self, logits: torch.Tensor, iou: torch.Tensor,
                mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Compute the loss.

        Args:
            logits (Tensor): (B, T, T) score-map logits.
            iou (Tensor): (B, T, T) IoU of each proposal with the GT moment, in [0, 1].
            mask (Tensor, optional): (B, T, T) bool, valid map cells; all cells when None.

        Returns:
            Tensor: scalar, averaged over the valid cells (``logits.sum() * 0`` if none).
        """
        if mask is None:
            mask = torch.ones_like(logits, dtype=torch.bool)
        mask = mask.bool()
        if not bool(mask.any()):
            return logits.sum() * 0
        target = ((iou.to(logits.dtype) - self.min_iou) /
                  (self.max_iou - self.min_iou)).clamp(0, 1)
        loss = F.binary_cross_entropy_with_logits(
            logits[mask], target[mask], reduction='sum') / mask.sum()
        return self.loss_weight * loss
