"""Temporal attentive loss, STVGFormer §1.5, Eq. 6 (after ABLR, Yuan et al., AAAI 2019).

The per-frame scores of one sample are turned into a distribution over its real (non-padded)
frames by a softmax, and the loss is the mean negative log-probability of the frames inside the
GT span:

    L = - sum_t m_t log p_t / sum_t m_t,    p = softmax over the valid frames,

where ``m_t`` is 1 for frames in ``[t_s, t_e]``. STVGFormer uses it for both auxiliary heads
(``L^s_aux`` on the static in-span scores, ``L^d_aux`` on the dynamic ones).
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.models.losses.utils import weighted_loss

from mmstvg.registry import MODELS


@weighted_loss
def temporal_attentive_loss(pred: torch.Tensor, target: torch.Tensor,
                            mask: torch.Tensor) -> torch.Tensor:
    """Per-sample negative mean log-softmax probability of the in-span frames.

    Args:
        pred (Tensor): (B, T) per-frame scores (logits of the softmax).
        target (Tensor): (B, T) bool, frame inside the GT span; frames outside ``mask`` are
            ignored.
        mask (Tensor): (B, T) bool, valid (non-padded) frames.

    Returns:
        Tensor: (B,) loss of every sample, 0 for a sample without an in-span valid frame.
    """
    mask = mask.bool()
    pos = target.bool() & mask
    # -inf only on the padding of samples that have a valid frame: a fully padded row
    # would otherwise give NaN (also in the backward pass).
    fill = ~mask & mask.any(1, keepdim=True)
    log_p = F.log_softmax(pred.masked_fill(fill, float('-inf')), dim=1)
    nll = -torch.where(pos, log_p, log_p.new_zeros(())).sum(1)
    return nll / pos.sum(1).clamp(min=1).to(log_p.dtype)


@MODELS.register_module()
class TemporalAttentiveLoss(nn.Module):
    """Negative mean log-softmax probability of the in-span frames.

    Args:
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``. Defaults to ``'mean'``: over
            the samples that have at least one in-span valid frame, unless ``avg_factor``
            is given.
        loss_weight (float): weight of the loss.
    """

    def __init__(self, reduction: str = 'mean', loss_weight: float = 1.0) -> None:
        super().__init__()
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
            pred (Tensor): (B, T) per-frame scores (logits of the softmax).
            target (Tensor): (B, T) bool, frame inside the GT span (``m_t``); frames outside
                ``mask`` are ignored.
            mask (Tensor, optional): (B, T) bool, valid (non-padded) frames; all when None.
            weight (Tensor, optional): (B,) weight of every sample.
            avg_factor (float, optional): divisor of the sum for ``'mean'``; defaults to the
                number of samples with at least one in-span valid frame.
            reduction_override (str, optional): overrides ``reduction`` for this call.

        Returns:
            Tensor: scalar loss, or (B,) for ``'none'``. A scalar is ``pred.sum() * 0`` when
            no sample has an in-span valid frame, so the graph stays connected.
        """
        assert reduction_override in (None, 'none', 'mean', 'sum')
        reduction = reduction_override if reduction_override else self.reduction
        if mask is None:
            mask = torch.ones_like(pred, dtype=torch.bool)
        has_pos = (target.bool() & mask.bool()).any(1)
        if reduction != 'none' and not bool(has_pos.any()):
            return pred.sum() * 0
        if reduction == 'mean' and avg_factor is None:
            avg_factor = float(has_pos.sum())
        return self.loss_weight * temporal_attentive_loss(
            pred, target, weight, reduction=reduction, avg_factor=avg_factor, mask=mask)
