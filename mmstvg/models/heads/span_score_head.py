"""Per-frame in-span score head and its decoding into one contiguous span.

Training: binary cross-entropy of "frame lies in the GT span" per sampled frame.
Inference: the span is the contiguous run of sampled frames that maximises
``sum(p_k - score_thr)`` (the maximum-sum subarray), i.e. the best-scoring contiguous run;
when no frame exceeds ``score_thr`` the single best frame is used.
"""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn

from mmstvg.registry import MODELS
from .base_temporal_head import BaseTemporalHead


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
class SpanScoreHead(BaseTemporalHead):
    """Score every frame for being inside the described action (reads ``feats['seq']``).

    Args:
        in_channels (int): per-frame feature channels.
        hidden_dims (int): MLP width.
        score_thr (float): decoding offset, see module docstring.
        loss_cls (dict): loss config (``mmdet.CrossEntropyLoss`` with ``use_sigmoid=True``).
        in_key (str, optional): the features read; ``'seq'`` by default.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_dims: int = 128,
                 score_thr: float = 0.5,
                 loss_cls: dict = dict(
                     type='mmdet.CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
                 in_key: Optional[str] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(in_key=in_key, init_cfg=init_cfg)
        self.score_thr = score_thr
        self.mlp = nn.Sequential(
            nn.Linear(in_channels, hidden_dims), nn.ReLU(inplace=True), nn.Linear(hidden_dims, 1))
        self.loss_cls = MODELS.build(loss_cls)

    def forward(self, feats: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """``feats[in_key]`` (B, N, C) per-step features -> ``span_logits`` (B, N)."""
        return dict(span_logits=self.mlp(self.get_input(feats)).squeeze(-1))

    def loss_by_feat(self, outs: Dict[str, torch.Tensor],
                     targets: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """BCE over the real (non-padded) frames.

        Args:
            outs (dict): ``span_logits`` (B, N) in-span logits.
            targets (dict): ``in_span`` (B, N) bool, frame inside the GT span, and
                ``frame_mask`` (B, N) bool, real frames.

        Returns:
            dict: ``loss_span``.
        """
        logits = outs['span_logits']
        valid = targets['frame_mask'].reshape(-1)
        return dict(
            loss_span=self.loss_cls(
                logits.reshape(-1)[valid],
                targets['in_span'].reshape(-1)[valid].float(),
                avg_factor=max(int(valid.sum()), 1)))

    def predict_by_feat(self,
                        outs: Dict[str, torch.Tensor],
                        frame_mask: torch.Tensor,
                        num_passes: int = 1) -> List[Tuple[int, int, float]]:
        """Best contiguous run of every sample (passes: probabilities averaged per step).

        Returns:
            list[tuple]: ``(start, end, score)`` per sample, positions inclusive, ``score``
            the run's mean probability.
        """
        probs = self.group_passes(outs['span_logits'].sigmoid(), num_passes)
        lengths = frame_mask[::num_passes].sum(1).tolist()
        return [
            best_contiguous_run(p[:max(int(n), 1)], self.score_thr)
            for p, n in zip(probs, lengths)
        ]
