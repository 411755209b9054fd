"""GKCMN's modified focal loss on Gaussian heatmaps (§2.3, Eq. 6).

    L = -1/M_foc * sum_txy { (1 - ĥ)^α log ĥ                   if h > γ
                           { (1 - h)^β ĥ^α log(1 - ĥ)           otherwise

CenterNet's loss (mmdet ``GaussianFocalLoss``) takes only the peaks (h == 1) as positives;
GKCMN's ``γ`` (0.8) makes every pixel whose target exceeds it a positive. ``M_foc`` is the
number of annotated boxes (``avg_factor``).
"""
from typing import Optional

import torch
import torch.nn as nn
from mmdet.models.losses.utils import weighted_loss

from mmstvg.registry import MODELS


@weighted_loss
def threshold_gaussian_focal_loss(pred: torch.Tensor,
                                  target: torch.Tensor,
                                  alpha: float = 2.0,
                                  beta: float = 4.0,
                                  gamma: float = 0.8,
                                  eps: float = 1e-6) -> torch.Tensor:
    """Element-wise Eq. 6 (without the sum and the ``1/M_foc``).

    Args:
        pred (Tensor): (..., H, W) predicted probabilities ĥ.
        target (Tensor): (..., H, W) Gaussian targets h in [0, 1].
        alpha, beta, gamma (float): α, β and γ of Eq. 6.
        eps (float): clamp of the probabilities before the logs.

    Returns:
        Tensor: (..., H, W) loss of every pixel.
    """
    p = pred.clamp(eps, 1 - eps)
    pos_term = (1 - p).pow(alpha) * p.log()
    neg_term = (1 - target).pow(beta) * p.pow(alpha) * (1 - p).log()
    return -torch.where(target > gamma, pos_term, neg_term)


@MODELS.register_module()
class ThresholdGaussianFocalLoss(nn.Module):
    """Eq. 6.

    Args:
        alpha (float): α. Defaults to 2.
        beta (float): β. Defaults to 4.
        gamma (float): γ, targets above it are positives. Defaults to 0.8.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``. Defaults to ``'mean'``: the sum
            divided by ``avg_factor`` (M_foc) when given, else the mean over the pixels.
        loss_weight (float): weight (α_1 of Eq. 10). Defaults to 1.
        eps (float): clamp of the probabilities before the logs.
    """

    def __init__(self,
                 alpha: float = 2.0,
                 beta: float = 4.0,
                 gamma: float = 0.8,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 eps: float = 1e-6) -> None:
        super().__init__()
        self.alpha, self.beta, self.gamma = alpha, beta, gamma
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
            pred (Tensor): (..., H, W) predicted probabilities ĥ.
            target (Tensor): (..., H, W) Gaussian targets h in [0, 1].
            weight (Tensor, optional): per-pixel weights, broadcastable to ``pred``.
            avg_factor (float, optional): M_foc, the divisor of the sum for ``'mean'``.
            reduction_override (str, optional): overrides ``reduction`` for this call.

        Returns:
            Tensor: scalar loss, or (..., H, W) for ``'none'``.
        """
        assert reduction_override in (None, 'none', 'mean', 'sum')
        reduction = reduction_override if reduction_override else self.reduction
        return self.loss_weight * threshold_gaussian_focal_loss(
            pred,
            target,
            weight,
            reduction=reduction,
            avg_factor=avg_factor,
            alpha=self.alpha,
            beta=self.beta,
            gamma=self.gamma,
            eps=self.eps)
