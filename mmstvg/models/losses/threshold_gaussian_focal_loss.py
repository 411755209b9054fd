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

from mmstvg.registry import MODELS


@MODELS.register_module()
class ThresholdGaussianFocalLoss(nn.Module):
    """Eq. 6.

    Args:
        alpha (float): α. Defaults to 2.
        beta (float): β. Defaults to 4.
        gamma (float): γ, targets above it are positives. Defaults to 0.8.
        loss_weight (float): weight (α_1 of Eq. 10). Defaults to 1.
        eps (float): clamp of the probabilities before the logs.
    """

    def __init__(self, alpha: float = 2.0, beta: float = 4.0, gamma: float = 0.8,
                 loss_weight: float = 1.0, eps: float = 1e-6) -> None:
        super().__init__()
        self.alpha, self.beta, self.gamma = alpha, beta, gamma
        self.loss_weight = loss_weight
        self.eps = eps

    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                avg_factor: Optional[float] = None) -> torch.Tensor:
        """Compute the loss.

        Args:
            pred (Tensor): (..., H, W) predicted probabilities ĥ.
            target (Tensor): (..., H, W) Gaussian targets h in [0, 1].
            avg_factor (float, optional): M_foc (defaults to 1).

        Returns:
            Tensor: scalar loss.
        """
        p = pred.clamp(self.eps, 1 - self.eps)
        pos = target > self.gamma
        pos_term = (1 - p).pow(self.alpha) * p.log()
        neg_term = (1 - target).pow(self.beta) * p.pow(self.alpha) * (1 - p).log()
        total = torch.where(pos, pos_term, neg_term).sum()
        return -self.loss_weight * total / (avg_factor or 1.0)
