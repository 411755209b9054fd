"""Temporal attentive loss, STVGFormer §1.5, Eq. 6 (after ABLR, Yuan et al., AAAI 2019).

The per-frame scores of one sample are turned into a distribution over its real (non-padded)
frames by a softmax, and the loss is the mean negative log-probability of the frames inside the
GT span:

    L = - sum_t m_t log p_t / sum_t m_t,    p = softmax over the valid frames,

where ``m_t`` is 1 for frames in ``[t_s, t_e]``. STVGFormer uses it for both auxiliary heads
(``L^s_aux`` on the static in-span scores, ``L^d_aux`` on the dynamic ones).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmstvg.registry import MODELS


@MODELS.register_module()
class TemporalAttentiveLoss(nn.Module):
    """Negative mean log-softmax probability of the in-span frames.

    Args:
        loss_weight (float): weight of the loss.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, logits: torch.Tensor, target: torch.Tensor,
                mask: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            logits (Tensor): (B, T) per-frame scores (logits of the softmax).
            target (Tensor): (B, T) bool, frame inside the GT span (``m_t``); frames outside
                ``mask`` are ignored.
            mask (Tensor): (B, T) bool, valid (non-padded) frames.

        Returns:
            Tensor: scalar, the mean over the samples that have at least one in-span valid
            frame (``logits.sum() * 0`` when none has, so the graph stays connected).
        """
        mask = mask.bool()
        pos = target.bool() & mask
        has_pos = pos.any(1)
        if not bool(has_pos.any()):
            return logits.sum() * 0
        # -inf only on the padding of samples that have a valid frame: a fully padded row
        # would otherwise give NaN (also in the backward pass).
        fill = ~mask & mask.any(1, keepdim=True)
        log_p = F.log_softmax(logits.masked_fill(fill, float('-inf')), dim=1)
        nll = -torch.where(pos, log_p, log_p.new_zeros(())).sum(1)
        per_sample = nll / pos.sum(1).clamp(min=1).to(log_p.dtype)
        return self.loss_weight * per_sample[has_pos].mean()
