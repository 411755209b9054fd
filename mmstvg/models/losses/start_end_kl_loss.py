"""TubeDETR's temporal localisation loss (Yang et al., CVPR 2022, §3.3 "Training", L_KL).

The start and end logits of the frames of one video are each turned into a distribution over
its real (non-padded) frames by a softmax, ``p``; the target ``q`` is a quantised Gaussian of
standard deviation ``sigma`` (in frames) centred on the GT start (end) frame, normalised to sum
to one after adding ``eps``. The loss is the Kullback-Leibler divergence ``KL(p || q)``, as the
released code computes it (``eps`` inside the log as well):

    l_t = p_t * log((p_t + eps) / q_t),   q_t ∝ exp(-(t - t_s)^2 / (2 sigma^2)) + eps,

summed over the start and the end, zero on padded frames, and averaged over every (video,
frame) entry of the batch, padding included (the released code's ``.mean()``).

Padded frames get a logit of ``-1e32`` before the softmax (zero probability), as in the
released code. A video without a GT span gets a target centred at frame -100 (the released
code's ``inter_idx`` of such a video), i.e. a uniform target.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.models.losses.utils import weighted_loss

from mmstvg.registry import MODELS

#: TubeDETR's ``inter_idx`` of a video without annotated moment.
NO_SPAN_INDEX = -100


def gaussian_target(num_frames: int,
                    centers: torch.Tensor,
                    sigma: float,
                    eps: float,
                    dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Quantised Gaussian target distributions.

    Args:
        num_frames (int): T.
        centers (Tensor): (B,) centre frame of each distribution.
        sigma (float): standard deviation in frames.
        eps (float): added before the L1 normalisation (no zero probability).
        dtype (torch.dtype): of the result. Defaults to float32.

    Returns:
        Tensor: (B, T), each row sums to 1.
    """
    pos = torch.arange(num_frames, device=centers.device, dtype=dtype)
    dist = (pos[None] - centers[:, None].to(dtype))**2
    return F.normalize(torch.exp(-dist / (2 * sigma**2)) + eps, p=1, dim=1)


@weighted_loss
def start_end_kl_loss(pred: torch.Tensor,
                      target: torch.Tensor,
                      mask: torch.Tensor,
                      sigma: float = 1.0,
                      eps: float = 1e-6) -> torch.Tensor:
    """Per-frame KL terms of the start and end distributions (module docstring).

    Args:
        pred (Tensor): (B, T, 2) start and end logits.
        target (Tensor): (B, 2) GT start and end frame (inclusive positions).
        mask (Tensor): (B, T) bool, real frames.
        sigma (float): standard deviation of the Gaussian targets, in frames.
        eps (float): smoothing of the log and of the targets.

    Returns:
        Tensor: (B, T) start + end terms, 0 on padded frames.
    """
    mask = mask.bool()
    logits = pred.masked_fill(~mask[..., None], -1e32)
    loss = pred.new_zeros(mask.shape)
    for k in range(2):
        q = gaussian_target(pred.shape[1], target[:, k], sigma, eps, pred.dtype)
        p = logits[..., k].softmax(1)
        loss = loss + p * ((p + eps) / q).log()
    return loss * mask.to(loss.dtype)


@MODELS.register_module()
class StartEndKLLoss(nn.Module):
    """KL divergence between the predicted start/end distributions and Gaussian targets.

    Args:
        sigma (float): standard deviation of the targets in frames (TubeDETR: 1).
        eps (float): smoothing (TubeDETR: 1e-6).
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``. Defaults to ``'mean'``: over
            every (video, frame) entry, padding included, as TubeDETR.
        loss_weight (float): weight of the loss (TubeDETR's ``sted_loss_coef``: 10).
    """

    def __init__(self,
                 sigma: float = 1.0,
                 eps: float = 1e-6,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if not sigma > 0:
            raise ValueError(f'sigma must be > 0, got {sigma}')
        self.sigma = float(sigma)
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
            pred (Tensor): (B, T, 2) start and end logits.
            target (Tensor): (B, 2) GT start and end positions (inclusive);
                :data:`NO_SPAN_INDEX` for a video without GT span.
            mask (Tensor, optional): (B, T) bool, real frames; all when None.
            weight (Tensor, optional): (B, T) element-wise weight.
            avg_factor (float, optional): divisor of the sum for ``'mean'``.
            reduction_override (str, optional): overrides ``reduction`` for this call.

        Returns:
            Tensor: scalar loss, or (B, T) for ``'none'``.
        """
        assert reduction_override in (None, 'none', 'mean', 'sum')
        reduction = reduction_override if reduction_override else self.reduction
        if mask is None:
            mask = pred.new_ones(pred.shape[:2], dtype=torch.bool)
        return self.loss_weight * start_end_kl_loss(
            pred,
            target,
            weight,
            reduction=reduction,
            avg_factor=avg_factor,
            mask=mask,
            sigma=self.sigma,
            eps=self.eps)
