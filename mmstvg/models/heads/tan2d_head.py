"""Prediction head of STVGFormer's dynamic branch, §1.4 ("Prediction Head for Dynamic Branch",
Eq. 3), following 2D-TAN (Zhang et al., AAAI 2020); losses ``L_tg`` and ``L^d_aux`` of Eq. 5-6.

The spatially pooled dynamic feature ``F_d`` (T, d) is projected to ``d_m`` channels and laid
out as a 2D proposal map ``M`` (d_m, T, T), ``M_ij = mean(F_d[i..j])`` for ``i <= j`` and 0
otherwise (built from cumulative sums, no loop over (i, j)). A stack of convolutions, each
followed by ReLU and the map mask as in 2D-TAN, and a 1x1 convolution give the score map
``S_ij`` of proposal ``[i, j]`` (positions inclusive). A 3-layer MLP on ``F_d`` gives the
auxiliary per-clip in-span logits ``S_aux``. At inference the best-scoring valid proposal is the
predicted moment.
"""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
from mmdet.models.layers import MLP

from mmstvg.registry import MODELS
from mmstvg.structures import mask_to_positions, span_overlaps
from .base_temporal_head import BaseTemporalHead


@MODELS.register_module()
class TAN2DHead(BaseTemporalHead):
    """2D temporal adjacent network head on the pooled dynamic features (``feats['seq']``).

    Args:
        in_channels (int): channels ``d`` of the pooled dynamic feature.
        map_channels (int): channels ``d_m`` of the 2D proposal map.
        num_convs (int): number of ``kernel_size`` convolutions on the map.
        kernel_size (int): kernel size of those convolutions (odd).
        aux_hidden_dims (int): width of the auxiliary MLP.
        aux_num_layers (int): depth of the auxiliary MLP (3 in the paper).
        loss_tg (dict): temporal grounding loss config (``lambda_4``).
        loss_aux (dict): temporal attentive loss config on ``S_aux`` (``lambda_5``).
        in_key (str, optional): the features read; ``'seq'`` by default.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 map_channels: int = 512,
                 num_convs: int = 4,
                 kernel_size: int = 5,
                 aux_hidden_dims: int = 256,
                 aux_num_layers: int = 3,
                 loss_tg: dict = dict(type='ScaledIoUBCELoss', loss_weight=5.0),
                 loss_aux: dict = dict(type='TemporalAttentiveLoss', loss_weight=1.0),
                 in_key: Optional[str] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(in_key=in_key, init_cfg=init_cfg)
        self.input_fc = nn.Linear(in_channels, map_channels)
        self.convs = nn.ModuleList(
            nn.Conv2d(map_channels, map_channels, kernel_size, padding=kernel_size // 2)
            for _ in range(num_convs))
        self.pred = nn.Conv2d(map_channels, 1, 1)
        self.aux_mlp = MLP(in_channels, aux_hidden_dims, 1, aux_num_layers)
        self.loss_tg = MODELS.build(loss_tg)
        self.loss_aux = MODELS.build(loss_aux)

    @staticmethod
    def get_map_mask(frame_mask: torch.Tensor) -> torch.Tensor:
        """Valid proposals: ``i <= j`` and both ends on real frames.

        Args:
            frame_mask (Tensor): (B, T) bool, real frames.

        Returns:
            Tensor: (B, T, T) bool, indexed ``[b, i, j]``.
        """
        frame_mask = frame_mask.bool()
        t = frame_mask.shape[1]
        upper = torch.ones(t, t, dtype=torch.bool, device=frame_mask.device).triu()
        return upper[None] & frame_mask[:, :, None] & frame_mask[:, None, :]

    @staticmethod
    def build_2d_map(feats: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """2D proposal map of Eq. 3 from cumulative sums.

        Args:
            feats (Tensor): (B, T, D) per-clip features.
            mask (Tensor, optional): (B, T) bool, real frames; cells touching a padded frame
                are 0 (padded features never enter a valid cell).

        Returns:
            Tensor: (B, D, T, T), ``[:, :, i, j] = mean(feats[:, i..j])`` for ``i <= j``, else 0.
        """
        b, t, _ = feats.shape
        if mask is None:
            mask = torch.ones(b, t, dtype=torch.bool, device=feats.device)
        mask = mask.bool()
        feats = feats.masked_fill(~mask[..., None], 0)
        cs = torch.cat([feats.new_zeros(b, 1, feats.shape[2]), feats.cumsum(1)], 1)
        sums = cs[:, None, 1:] - cs[:, :-1, None]  # (B, T_i, T_j, D): cs[j + 1] - cs[i]
        pos = torch.arange(t, device=feats.device)
        length = (pos[None, :] - pos[:, None] + 1).clamp(min=1).to(feats.dtype)
        means = sums / length[None, :, :, None]
        valid = TAN2DHead.get_map_mask(mask)
        means = means.masked_fill(~valid[..., None], 0)
        return means.permute(0, 3, 1, 2).contiguous()

    @staticmethod
    def iou_map(starts: torch.Tensor, ends: torch.Tensor, num_frames: int) -> torch.Tensor:
        """Temporal IoU of every proposal ``[i, j + 1)`` with the GT ``[s, e + 1)``.

        Args:
            starts (Tensor): (B,) long, first GT position (-1: no in-span frame).
            ends (Tensor): (B,) long, last GT position (inclusive).
            num_frames (int): T.

        Returns:
            Tensor: (B, T, T) float IoU; 0 where ``i > j`` and for samples with start -1.
        """
        pos = torch.arange(num_frames, device=starts.device)
        i = pos[None, :, None].expand(1, num_frames, num_frames)
        j1 = pos[None, None, :].expand(1, num_frames, num_frames) + 1
        proposals = torch.stack([i, j1], -1)  # (1, T, T, 2)
        gt = torch.stack([starts.long(), ends.long() + 1], -1)[:, None, None]  # (B, 1, 1, 2)
        iou = span_overlaps(proposals, gt)
        keep = (i < j1) & (gt[..., 0] >= 0)
        return iou.masked_fill(~keep, 0)

    def forward(self, feats: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Score every proposal.

        Args:
            feats (dict): the grounder's features: ``feats[in_key]`` (B, T, C), the spatially
                mean-pooled dynamic feature ``F_d``, and ``frame_mask`` (B, T) bool, real
                frames (padding only at the end; all frames when absent).

        Returns:
            dict: ``score_map`` (B, T, T) logits ``[b, i, j]`` (meaningful where ``map_mask``),
            ``map_mask`` (B, T, T) bool and ``aux_logits`` (B, T).
        """
        x_seq = self.get_input(feats)
        frame_mask = feats.get('frame_mask')
        b, t, _ = x_seq.shape
        if frame_mask is None:
            frame_mask = torch.ones(b, t, dtype=torch.bool, device=x_seq.device)
        frame_mask = frame_mask.bool()
        map_mask = self.get_map_mask(frame_mask)
        weight = map_mask[:, None].to(x_seq.dtype)
        x = self.build_2d_map(self.input_fc(x_seq), frame_mask)
        for conv in self.convs:
            x = conv(x).relu() * weight
        score_map = self.pred(x).squeeze(1)
        aux_logits = self.aux_mlp(x_seq).squeeze(-1)
        return dict(score_map=score_map, map_mask=map_mask, aux_logits=aux_logits)

    def loss_by_feat(self, outs: Dict[str, torch.Tensor],
                     targets: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Dynamic-branch losses ``L_d`` (Eq. 5).

        Args:
            outs (dict): output of :meth:`forward`.
            targets (dict): ``in_span`` (B, T) bool, frame inside the GT span, and
                ``frame_mask`` (B, T) bool, real frames.

        Returns:
            dict: ``loss_tg`` and ``loss_dynamic_aux``.
        """
        score_map = outs['score_map']
        in_span, frame_mask = targets['in_span'], targets['frame_mask'].bool()
        pos = in_span.bool() & frame_mask
        starts, ends, has = mask_to_positions(in_span, frame_mask)
        starts = torch.where(has, starts, -1)
        ends = torch.where(has, ends, -1)
        iou = self.iou_map(starts, ends, pos.shape[1]).to(score_map.dtype)
        return dict(
            loss_tg=self.loss_tg(score_map, iou, outs['map_mask']),
            loss_dynamic_aux=self.loss_aux(outs['aux_logits'], pos, frame_mask))

    def predict_by_feat(self,
                        outs: Dict[str, torch.Tensor],
                        frame_mask: torch.Tensor,
                        num_passes: int = 1) -> List[Tuple[int, int, float]]:
        """Best proposal of every sample, on the mean probability map of its passes.

        Returns:
            list[tuple]: ``(i, j, score)`` per sample (positions inclusive, score the mean
            probability of the proposal).
        """
        probs = self.group_passes(outs['score_map'].float().sigmoid(), num_passes)
        lengths = frame_mask[::num_passes].sum(1).tolist()
        return [self.predict_span(p, n) for p, n in zip(probs, lengths)]

    @staticmethod
    def predict_span(prob_map: torch.Tensor, valid_len: int) -> Tuple[int, int, float]:
        """Best proposal of one sample.

        Args:
            prob_map (Tensor): (T, T) scores (probabilities or logits; argmax is the same).
            valid_len (int): number of real frames (clamped to [1, T]).

        Returns:
            tuple: (i, j, score) with ``0 <= i <= j < valid_len`` (positions inclusive) and
            the map's value there.
        """
        t = prob_map.shape[-1]
        n = min(max(int(valid_len), 1), t)
        valid = torch.ones(t, t, dtype=torch.bool, device=prob_map.device).triu()
        valid[n:] = False
        valid[:, n:] = False
        scores = prob_map.detach().float()
        scores = scores.masked_fill(~valid | scores.isnan(), float('-inf'))
        flat = int(scores.flatten().argmax())
        if not valid.flatten()[flat]:  # no finite valid score: fall back on (0, 0)
            flat = 0
        i, j = divmod(flat, t)
        return i, j, float(prob_map[i, j])
