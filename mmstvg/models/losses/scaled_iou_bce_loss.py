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
from mmdet.models.losses.utils import weighted_loss

from mmstvg.registry import MODELS


@weighted_loss
def scaled_iou_bce_loss(pred: torch.Tensor,
                        target: torch.Tensor,
                        min_iou: float = 0.0,
                        max_iou: float = 1.0) -> torch.Tensor:
    """Element-wise BCE-with-logits against the rescaled IoUs.

    Args:
        pred (Tensor): (B, T, T) score-map logits.
        target (Tensor): (B, T, T) IoU of each proposal with the GT moment, in [0, 1].
        min_iou, max_iou (float): IoUs mapped to targets 0 and 1 (clamped beyond).

    Returns:
        Tensor: (B, T, T) loss of every cell.
    """
    y = ((target.to(pred.dtype) - min_iou) / (max_iou - min_iou)).clamp(0, 1)
    return F.binary_cross_entropy_with_logits(pred, y, reduction='none')


@MODELS.register_module()
class ScaledIoUBCELoss(nn.Module):
    """BCE-with-logits against rescaled proposal IoUs.

    Args:
        min_iou (float): IoU mapped to target 0 (and below).
        max_iou (float): IoU mapped to target 1 (and above).
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``. Defaults to ``'mean'``: over
            the valid cells, unless ``avg_factor`` is given.
        loss_weight (float): weight of the loss.
    """

    def __init__(self,
                 min_iou: float = 0.0,
                 max_iou: float = 1.0,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if not min_iou < max_iou:
            raise ValueError(f'min_iou ({min_iou}) must be smaller than max_iou ({max_iou})')
        self.min_iou = min_iou
        self.max_iou = max_iou
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self,
                pred: torch.Tensor,
                target: torch.Tensor,
                mask: Optional[torch.Tensor] = None,
                weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> torch.Tensor:
        """Compute the loss.

        Args:
            pred (Tensor): (B, T, T) score-map logits.
            target (Tensor): (B, T, T) IoU of each proposal with the GT moment, in [0, 1].
            mask (Tensor, optional): (B, T, T) bool, valid map cells; all cells when None.
                Invalid cells get weight 0.
            weight (Tensor, optional): (B, T, T) weight of every cell.
            avg_factor (float, optional): divisor of the sum for ``'mean'``; defaults to the
                number of valid cells.
            reduction_override (str, optional): overrides ``reduction`` for this call.

        Returns:
            Tensor: scalar loss, or (B, T, T) for ``'none'``; a scalar is ``pred.sum() * 0``
            when no cell is valid.
        """
        assert reduction_override in (None, 'none', 'mean', 'sum')
        reduction = reduction_override if reduction_override else self.reduction
        if mask is None:
            mask = torch.ones_like(pred, dtype=torch.bool)
        mask = mask.bool()
        if reduction != 'none' and not bool(mask.any()):
            return pred.sum() * 0
        valid = mask.to(pred.dtype)
        weight = valid if weight is None else weight * valid
        if reduction == 'mean' and avg_factor is None:
            avg_factor = float(mask.sum())
        return self.loss_weight * scaled_iou_bce_loss(
            pred,
            target,
            weight,
            reduction=reduction,
            avg_factor=avg_factor,
            min_iou=self.min_iou,
            max_iou=self.max_iou)
