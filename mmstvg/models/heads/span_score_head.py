"""Per-frame in-span score head and its decoding into one contiguous span.

Training: binary cross-entropy of "frame lies in the GT span" per sampled frame.
Inference: the span is the contiguous run of sampled frames that maximises
``sum(p_k - score_thr)`` (the maximum-sum subarray), i.e. the best-scoring contiguous run;
when no frame exceeds ``score_thr`` the single best frame is used.
"""
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmstvg.registry import MODELS


def best_contiguous_run(scores: torch.Tensor, thr: float) -> Tuple[int, int, float]:
    """Maximum-sum run of ``scores - thr`` (Kadane), inclusive positions.

    Args:
        scores (Tensor): (N,) probabilities, N >= 1.
        thr (float): offset subtracted from every score.

    Returns:
        tuple: (start, end, mean score of the run), positions inclusive.
    """
    vals = (scores - thr).tolist()
    best, best_s, best_e = float('-inf'), 0, 0
    cur, cur_s = 0.0, 0
    for i, v in enumerate(vals):
        if cur <= 0:
            cur, cur_s = v, i
        else:
            cur += v
        if cur > best:
            best, best_s, best_e = cur, cur_s, i
    return best_s, best_e, float(scores[best_s:best_e + 1].mean())


@MODELS.register_module()
class SpanScoreHead(BaseModule):
    """Score every frame for being inside the described action.

    Args:
        in_channels (int): per-frame feature channels.
        hidden_dims (int): MLP width.
        score_thr (float): decoding offset, see module docstring.
        loss_cls (dict): loss config (``mmdet.CrossEntropyLoss`` with ``use_sigmoid=True``).
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_dims: int = 128,
                 score_thr: float = 0.5,
                 loss_cls: dict = dict(
                     type='mmdet.CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.score_thr = score_thr
        self.mlp = nn.Sequential(
            nn.Linear(in_channels, hidden_dims), nn.ReLU(inplace=True),
            nn.Linear(hidden_dims, 1))
        self.loss_cls = MODELS.build(loss_cls)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        """(B, N, C) features -> (B, N) in-span logits."""
        return self.mlp(feats).squeeze(-1)

    def loss(self, logits: torch.Tensor, in_span: torch.Tensor,
             frame_mask: torch.Tensor) -> Dict[str, torch.Tensor]:
        """BCE over the real (non-padded) frames.

        Args:
            logits (Tensor): (B, N) in-span logits.
            in_span (Tensor): (B, N) bool, frame inside the GT span.
            frame_mask (Tensor): (B, N) bool, real frames.
        """
        valid = frame_mask.reshape(-1)
        return dict(loss_span=self.loss_cls(
            logits.reshape(-1)[valid], in_span.reshape(-1)[valid].float(),
            avg_factor=max(int(valid.sum()), 1)))

    def predict(self, logits: torch.Tensor) -> Tuple[int, int, float]:
        """(n,) logits of one sample's real frames -> (start, end, score), inclusive."""
        return best_contiguous_run(logits.sigmoid(), self.score_thr)
