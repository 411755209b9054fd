"""TubeDETR's guided attention loss (Yang et al., CVPR 2022, §3.3 "Training", L_att).

The temporal self-attention of the space-time decoder should not let a frame outside the
annotated moment attend to the frames of the video: for every video, with ``A`` (T x T) the
head-averaged self-attention weights of one decoder layer and ``N`` the real frames outside
the GT span ("negatives"),

    L = sum_{i in N} sum_j -log(1 - A_ij + eps) / |N|,

then averaged over the videos of the batch (rows of frames inside the GT span or padded are
zero; ``|N|`` gets ``eps`` too, so a video without negatives gives 0), as the released code.
"""
from typing import Optional

import torch
import torch.nn as nn
from mmdet.models.losses.utils import weighted_loss

from mmstvg.registry import MODELS


@weighted_loss
def guided_attention_loss(pred: torch.Tensor,
                          target: torch.Tensor,
                          mask: torch.Tensor,
                          eps: float = 1e-6) -> torch.Tensor:
    """Per-video guided attention loss.

    Args:
        pred (Tensor): (B, T, T) attention weights, row ``i`` = query frame ``i``.
        target (Tensor): (B, T) bool, frame inside the GT span.
        mask (Tensor): (B, T) bool, real frames.
        eps (float): smoothing of the log and of the negative count.

    Returns:
        Tensor: (B,) loss of every video.
    """
    excluded = target.bool() | ~mask.bool()
    loss = -(1 - pred + eps).log()
    loss = loss.masked_fill(excluded[:, :, None], 0)
    num_neg = (~excluded).sum(1).to(pred.dtype) + eps
    return (loss.sum(2) / num_neg[:, None]).sum(1)


@MODELS.register_module()
class GuidedAttentionLoss(nn.Module):
    """Penalise attention from frames outside the GT span (module docstring).

    Args:
        eps (float): smoothing (TubeDETR: 1e-6).
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'`` over the videos. Defaults to
            ``'mean'``.
        loss_weight (float): weight of the loss (TubeDETR's ``guided_attn_loss_coef``: 1).
    """

    def __init__(self, eps: float = 1e-6, reduction: str = 'mean', loss_weight: float = 1.0):
        super().__init__()
        self.eps = float(eps)
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
            pred (Tensor): (B, T, T) self-attention weights (rows: query frames).
            target (Tensor): (B, T) bool, frame inside the GT span.
            mask (Tensor, optional): (B, T) bool, real frames; all when None.
            weight (Tensor, optional): (B,) weight of every video.
            avg_factor (float, optional): divisor of the sum for ``'mean'``.
            reduction_override (str, optional): overrides ``reduction`` for this call.

        Returns:
            Tensor: scalar loss, or (B,) for ``'none'``.
        """
        assert reduction_override in (None, 'none', 'mean', 'sum')
        reduction = reduction_override if reduction_override else self.reduction
        if mask is None:
            mask = torch.ones_like(target, dtype=torch.bool)
        return self.loss_weight * guided_attention_loss(
            pred,
            target,
            weight,
            reduction=reduction,
            avg_factor=avg_factor,
            mask=mask,
            eps=self.eps)
