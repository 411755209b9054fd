"""TubeDETR's temporal head (Yang et al., CVPR 2022, §3.3 "Predictions"): per-frame start and
end logits from the space-time decoder's frame queries, trained with a KL divergence to
Gaussian targets (:class:`~mmstvg.models.losses.StartEndKLLoss`).

A 2-layer MLP (ReLU between the layers) maps each frame query to two logits, ``tau_s`` and
``tau_e``. As the released code, dropout (0.5) follows EVERY layer, the last one included, so
in training the logits themselves are dropped out. Layer names ``mlp.layers.{0,1}`` match the
released ``sted_embed.layers.{0,1}``.

Inference (TubeDETR's ``PostProcessSTVG``): ``log p_s = log_softmax(tau_s)``,
``log p_e = log_softmax(tau_e)`` over the real frames, and the span is the pair ``(s, e)``
with ``s < e`` (strictly) maximising ``log p_s[s] + log p_e[e]``; the positions ``s .. e``
(inclusive) are returned, its score is ``p_s[s] * p_e[e]``. Padded frames are excluded (the
released code decodes batches of one video, which have none).
"""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmstvg.registry import MODELS
from mmstvg.structures import mask_to_positions
from ..losses.start_end_kl_loss import NO_SPAN_INDEX
from .base_temporal_head import BaseTemporalHead


@MODELS.register_module()
class StartEndHead(BaseTemporalHead):
    """Start and end logits per frame (module docstring).

    Reads one vector per frame, ``feats[in_key]`` (B, T, C): the decoder's frame queries
    (``'queries'``) by default.

    Args:
        in_channels (int): C.
        hidden_dims (int): MLP width (TubeDETR: d = 256).
        num_layers (int): MLP depth (TubeDETR: 2).
        dropout (float): dropout after every MLP layer (TubeDETR: 0.5).
        loss_sted (dict): the start/end loss (``StartEndKLLoss``, TubeDETR's weight 10).
        in_key (str, optional): the features read; ``'queries'`` by default.
        init_cfg (dict, optional): initialisation config.
    """

    default_in_key = 'queries'

    def __init__(self,
                 in_channels: int,
                 hidden_dims: int = 256,
                 num_layers: int = 2,
                 dropout: float = 0.5,
                 loss_sted: dict = dict(type='StartEndKLLoss', sigma=1.0, loss_weight=10.0),
                 in_key: Optional[str] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(in_key=in_key, init_cfg=init_cfg)
        if num_layers < 1:
            raise ValueError(f'num_layers must be >= 1, got {num_layers}')
        dims = [in_channels] + [hidden_dims] * (num_layers - 1) + [2]
        self.layers = nn.ModuleList(nn.Linear(i, o) for i, o in zip(dims[:-1], dims[1:]))
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.loss_sted = MODELS.build(loss_sted)

    def forward(self, feats: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Start/end logits.

        Args:
            feats (dict): the grounder's features; ``feats[in_key]`` (B, T, C) (any leading
                dims work).

        Returns:
            dict: ``sted_logits`` (B, T, 2), start logits in ``[..., 0]``, end in ``[..., 1]``.
        """
        x = self.get_input(feats)
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = F.relu(x)
            x = self.dropout(x)
        return dict(sted_logits=x)

    @staticmethod
    def get_sted_targets(in_span: torch.Tensor, frame_mask: torch.Tensor) -> torch.Tensor:
        """(B, 2) long first and last in-span real position of every video
        (:data:`~mmstvg.models.losses.start_end_kl_loss.NO_SPAN_INDEX` without a GT span)."""
        first, last, has = mask_to_positions(in_span, frame_mask)
        target = torch.stack([first, last], 1)
        return torch.where(has[:, None], target, torch.full_like(target, NO_SPAN_INDEX))

    def loss_by_feat(self, outs: Dict[str, torch.Tensor],
                     targets: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Start/end loss.

        Args:
            outs (dict): :meth:`forward`'s outputs.
            targets (dict): ``in_span`` (B, T) bool and ``frame_mask`` (B, T) bool.

        Returns:
            dict: ``loss_sted``.
        """
        frame_mask = targets['frame_mask'].bool()
        target = self.get_sted_targets(targets['in_span'], frame_mask)
        return dict(loss_sted=self.loss_sted(outs['sted_logits'], target, frame_mask))

    @staticmethod
    def decode_span(
            sted_logits: torch.Tensor,
            frame_mask: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        """Best ``s < e`` pair of every video (module docstring).

        Args:
            sted_logits (Tensor): (B, T, 2) logits.
            frame_mask (Tensor, optional): (B, T) bool, real frames.

        Returns:
            tuple: ``spans`` (B, 2) long inclusive positions and ``log_scores`` (B,).
        """
        logits = sted_logits.detach().float()
        if frame_mask is not None:
            logits = logits.masked_fill(~frame_mask.bool()[..., None], float('-inf'))
        t = logits.shape[1]
        log_start = logits[..., 0].log_softmax(1)
        log_end = logits[..., 1].log_softmax(1)
        # pairs with e <= s are impossible
        invalid = torch.full((t, t), float('-inf'), device=logits.device).tril(0)
        score = log_start[:, :, None] + log_end[:, None, :] + invalid[None]  # (B, s, e)
        best_over_s, s_idx = score.max(dim=1)  # (B, e)
        log_scores, e_idx = best_over_s.max(dim=1)  # (B,)
        s_idx = torch.gather(s_idx, 1, e_idx[:, None])[:, 0]
        return torch.stack([s_idx, e_idx], 1), log_scores

    def predict_by_feat(self,
                        outs: Dict[str, torch.Tensor],
                        frame_mask: torch.Tensor,
                        num_passes: int = 1) -> List[Tuple[int, int, float]]:
        """Decode the span of every video (several passes: their logits are averaged per
        step first).

        Returns:
            list[tuple]: ``(s, e, score)`` per video, ``s < e`` inclusive positions (``s = e``
            only for a one-frame video) and ``score = p_s[s] * p_e[e]``.
        """
        logits = self.group_passes(outs['sted_logits'], num_passes)
        mask = frame_mask[::num_passes]
        spans, log_scores = self.decode_span(logits, mask)
        return [(int(s), int(e), float(torch.exp(ls)))
                for (s, e), ls in zip(spans.tolist(), log_scores)]

    def predict_pass_spans(self, outs: Dict[str, torch.Tensor], frame_mask: torch.Tensor,
                           num_passes: int) -> List[Tuple[int, int, float]]:
        """Decode every pass on its own and take the union of the passes' spans (the STCAT
        family's released evaluators: the even and the odd frames as two passes, the span from
        the earlier start to the later end).

        Args:
            outs (dict): ``sted_logits`` (B * P, T, 2), each sample's P passes consecutive.
            frame_mask (Tensor): (B * P, T) bool.
            num_passes (int): P; pass ``q`` holds the sample's positions ``q, q + P, ...``.

        Returns:
            list[tuple]: per sample ``(first, last, score)``: the first and last **positions**
            of the sample (not segments; ``first <= last``) covered by the union, and the mean
            of the passes' ``p_s[s] * p_e[e]``.
        """
        logits = outs['sted_logits']
        if logits.shape[0] % num_passes:
            raise ValueError(f'{logits.shape[0]} sequences do not split into samples of '
                             f'{num_passes} passes')
        spans, log_scores = self.decode_span(logits, frame_mask)
        spans = spans.view(-1, num_passes, 2)
        offsets = torch.arange(num_passes, device=spans.device)
        first = (spans[..., 0] * num_passes + offsets).min(1).values
        last = (spans[..., 1] * num_passes + offsets).max(1).values
        scores = log_scores.exp().view(-1, num_passes).mean(1)
        return [(int(f), int(la), float(sc))
                for f, la, sc in zip(first.tolist(), last.tolist(), scores.tolist())]
