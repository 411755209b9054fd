"""Temporal location head of GKCMN, §2.4 ("Temporal Location Head", Fig. 4, Eqs. 8-9).

Input: the multi-modal feature ``M_mix`` (B, C, T, h, w) of the mixed convolutional network
and ``frame_mask`` (B, T) bool (True = real step, padding only at the end).

Embedding layer. Three 3-D convolutions with kernel sizes ``(k, k, k)`` for k = 1, 3, 5
(temporal and spatial, zero padding ``k // 2`` so the shape is kept), each followed by ReLU.
Their outputs are **concatenated** along channels (Inception-style, so the following 3-D
convolution learns how to weigh the three time lengths instead of a fixed sum) and fused by a
3-D convolution ``3 d -> d`` (kernel ``fuse_kernel_size``, 1 by default) + ReLU, then averaged
over (h, w) to (B, T, d). ``num_attn_layers`` DETR-style post-norm self-attention layers
(mmcv ``MultiheadAttention`` + ``FFN``, via mmdet's ``DetrTransformerEncoderLayer``) relate the
time steps; padded steps are excluded as keys. The paper mentions no positional encoding, so
none is added (the convolutions and the Bi-GRUs carry the order). ``use_attention=False`` is the
"w/o TA" ablation of Table 3: no attention layers and no attention parameters at all. Padded
steps are set to zero before every temporal convolution, so they act exactly like the
convolution's own zero padding and never change the real steps.

Candidate spans ("every tube that has the potential to be selected"). The paper does not say how
candidates are enumerated; as in TALL / ABLR-style sliding windows, every real step ``t`` and
every scale ``s`` of ``anchor_scales`` (lengths in steps) gives one candidate

    ``[t - s // 2, t - s // 2 + s)`` clipped to ``[0, valid_len]``

i.e. the length-``s`` window centred on step ``t`` (for even ``s``, ``t`` is the later of the
two middle steps), so all bounds are integers and a candidate whose length equals the GT's can
match it exactly. Spans are ``[start, end)`` in steps (step ``k`` covers ``[k, k + 1)``).
There are ``K = valid_len * S`` candidates, laid out ``(T, S)`` like the head outputs.
The default scales (2, 4, ..., 128) cover every GT length from 1 to 200 steps with at least one
candidate of IoU >= 0.5 > c, so every annotated sample has positives.

Score confidence head (Eq. 8): Bi-GRU (over the real steps only, ``pack_padded_sequence``) and
a 1-D convolution give one sigmoid IoU prediction per candidate, (B, T, S). Target: temporal
IoU of the candidate with the GT span ``[first, last + 1)`` of ``in_span``, set to 0 where
IoU < c (``conf_thr``, 0.3 in the paper); samples without any in-span step get all-zero
targets. Loss: smooth-L1 summed over all valid candidates and divided by their number N_c.

Boundary regression head (Eq. 9): a second Bi-GRU + 1-D convolution give ``(delta_s,
delta_e)`` per candidate, (B, T, S, 2). Target: ``delta_s = t_s - hat_t_s``,
``delta_e = t_e - hat_t_e`` with the GT ``[t_s, t_e)`` and the candidate ``[hat_t_s,
hat_t_e)``, in steps, or divided by the candidate's length when ``normalize_offsets=True``
(default False: Eq. 9 is written in steps and the paper's small weight alpha_4 = 0.1 suits
unnormalised offsets). The loss uses only the candidates "that have the potential to be
selected", i.e. those with IoU >= c (the ones whose confidence target is non-zero), summed over
both offsets and divided by their number N_c (``offset_pos_only=False`` uses every valid
candidate instead). A sample without positives (or without a GT span) contributes nothing.

Inference: the candidate of highest predicted confidence among the real steps, its bounds
shifted by its predicted offsets and clipped to ``[0, valid_len]``;
:func:`~mmstvg.structures.span_to_positions` turns that float span into inclusive integer
positions for the grounder (:meth:`TemporalLocationHead.predict_by_feat`).
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmdet.models.layers import DetrTransformerEncoderLayer
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from mmstvg.registry import MODELS
from mmstvg.structures import mask_to_positions, span_overlaps, span_to_positions
from .base_temporal_head import BaseTemporalHead


@MODELS.register_module()
class TemporalLocationHead(BaseTemporalHead):
    """GKCMN temporal location head: embedding layer, confidence head, boundary head.

    Args:
        in_channels (int): channels ``C`` of the input feature (B, C, T, h, w).
        embed_dims (int): channels ``d`` of the embedding (32 in the paper).
        num_attn_layers (int): self-attention layers of the embedding layer (2 in the paper).
        num_heads (int): attention heads.
        use_attention (bool): False removes the self-attention module ("w/o TA", Table 3).
        anchor_scales (Sequence[int]): candidate lengths in steps.
        conf_thr (float): IoU threshold ``c`` below which the confidence target is 0
            (0.3 in the paper); also the positive threshold of the offset loss.
        loss_conf (dict): confidence loss (Eq. 8), weight ``alpha_3`` = 0.2.
        loss_offset (dict): boundary regression loss (Eq. 9), weight ``alpha_4`` = 0.1.
        branch_kernel_sizes (Sequence[int]): kernel sizes of the parallel 3-D convolutions
            (1, 3, 5 in the paper; odd).
        fuse_kernel_size (int): kernel size of the 3-D convolution fusing the branches (odd).
        feedforward_channels (int, optional): FFN width of the attention layers; 4 d if None.
        attn_dropout (float): dropout in the attention layers (attention weights and FFN).
        gru_hidden (int, optional): hidden size per direction of each Bi-GRU; ``d`` if None.
        pred_kernel_size (int): kernel size of the 1-D prediction convolutions (odd).
        normalize_offsets (bool): regress offsets divided by the candidate's length.
        offset_pos_only (bool): offset loss on candidates with IoU >= c only (else on every
            valid candidate of the samples that have a GT span).
        in_key (str, optional): the features read; ``'maps'`` by default.
        init_cfg (dict, optional): initialisation config.
    """

    default_in_key = 'maps'

    def __init__(self,
                 in_channels: int,
                 embed_dims: int = 32,
                 num_attn_layers: int = 2,
                 num_heads: int = 4,
                 use_attention: bool = True,
                 anchor_scales: Sequence[int] = (2, 4, 8, 16, 32, 64, 128),
                 conf_thr: float = 0.3,
                 loss_conf: dict = dict(type='mmdet.SmoothL1Loss', loss_weight=0.2),
                 loss_offset: dict = dict(type='mmdet.SmoothL1Loss', loss_weight=0.1),
                 branch_kernel_sizes: Sequence[int] = (1, 3, 5),
                 fuse_kernel_size: int = 1,
                 feedforward_channels: Optional[int] = None,
                 attn_dropout: float = 0.0,
                 gru_hidden: Optional[int] = None,
                 pred_kernel_size: int = 1,
                 normalize_offsets: bool = False,
                 offset_pos_only: bool = True,
                 in_key: Optional[str] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(in_key=in_key, init_cfg=init_cfg)
        assert len(anchor_scales) > 0 and all(int(s) >= 1 for s in anchor_scales)
        for k in (*branch_kernel_sizes, fuse_kernel_size, pred_kernel_size):
            assert k % 2 == 1, f'kernel sizes must be odd, got {k}'
        self.in_channels = in_channels
        self.embed_dims = embed_dims
        self.anchor_scales = tuple(int(s) for s in anchor_scales)
        self.num_scales = len(self.anchor_scales)
        self.conf_thr = conf_thr
        self.use_attention = use_attention
        self.normalize_offsets = normalize_offsets
        self.offset_pos_only = offset_pos_only

        # embedding layer
        self.branches = nn.ModuleList(
            nn.Conv3d(in_channels, embed_dims, k, padding=k // 2) for k in branch_kernel_sizes)
        self.fuse = nn.Conv3d(
            embed_dims * len(branch_kernel_sizes),
            embed_dims,
            fuse_kernel_size,
            padding=fuse_kernel_size // 2)
        if use_attention:
            ffn_channels = feedforward_channels or 4 * embed_dims
            self.attn_layers = nn.ModuleList(
                DetrTransformerEncoderLayer(
                    self_attn_cfg=dict(
                        embed_dims=embed_dims,
                        num_heads=num_heads,
                        dropout=attn_dropout,
                        batch_first=True),
                    ffn_cfg=dict(
                        embed_dims=embed_dims,
                        feedforward_channels=ffn_channels,
                        num_fcs=2,
                        ffn_drop=attn_dropout,
                        act_cfg=dict(type='ReLU', inplace=True))) for _ in range(num_attn_layers))
        else:
            self.attn_layers = None

        # score confidence head (Eq. 8) and boundary regression head (Eq. 9)
        hidden = gru_hidden or embed_dims
        self.conf_gru = nn.GRU(embed_dims, hidden, batch_first=True, bidirectional=True)
        self.conf_conv = nn.Conv1d(
            2 * hidden, self.num_scales, pred_kernel_size, padding=pred_kernel_size // 2)
        self.reg_gru = nn.GRU(embed_dims, hidden, batch_first=True, bidirectional=True)
        self.reg_conv = nn.Conv1d(
            2 * hidden, 2 * self.num_scales, pred_kernel_size, padding=pred_kernel_size // 2)

        self.loss_conf = MODELS.build(loss_conf)
        self.loss_offset = MODELS.build(loss_offset)

    # ------------------------------------------------------------------ candidates / targets
    def anchor_spans(self, num_steps: int, valid_lens: torch.Tensor) -> torch.Tensor:
        """Candidate spans of a batch, clipped per sample.

        Args:
            num_steps (int): T.
            valid_lens (Tensor): (B,) number of real steps.

        Returns:
            Tensor: (B, T, S, 2) float ``[start, end)`` in steps; rows ``t >= valid_len`` are
            degenerate (see :meth:`candidate_mask`).
        """
        device = valid_lens.device
        t = torch.arange(num_steps, device=device, dtype=torch.float32)[:, None]
        scales = torch.tensor(self.anchor_scales, device=device, dtype=torch.float32)[None]
        start = t - torch.div(scales, 2, rounding_mode='floor')  # (T, S)
        end = start + scales
        n = valid_lens.to(device=device, dtype=torch.float32)[:, None, None]
        start = torch.minimum(start[None].clamp(min=0), n)
        end = torch.minimum(end[None].clamp(min=0), n)
        return torch.stack([start, end], -1)

    def candidates(self,
                   valid_len: int,
                   device: Optional[Union[str, torch.device]] = None) -> torch.Tensor:
        """Candidate spans of one sample.

        Args:
            valid_len (int): number of real steps ``L``.
            device: device of the result.

        Returns:
            Tensor: (K, 2) float ``[start, end)`` in steps, ``K = L * S``, row ``t * S + s``
            being step ``t`` and scale ``anchor_scales[s]`` (the layout of ``conf[:L]``).
        """
        n = int(valid_len)
        spans = self.anchor_spans(n, torch.tensor([n], device=device))
        return spans[0].reshape(-1, 2)

    def candidate_mask(self, frame_mask: torch.Tensor) -> torch.Tensor:
        """Valid candidates: those centred on a real step.

        Args:
            frame_mask (Tensor): (B, T) bool, real steps.

        Returns:
            Tensor: (B, T, S) bool.
        """
        return frame_mask.bool()[:, :, None].expand(-1, -1, self.num_scales)

    @staticmethod
    def gt_spans(in_span: torch.Tensor,
                 frame_mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """GT span ``[first, last + 1)`` in steps from the in-span flags.

        Args:
            in_span (Tensor): (B, T) bool, step inside the GT span.
            frame_mask (Tensor): (B, T) bool, real steps.

        Returns:
            tuple: spans (B, 2) float (``(0, 0)`` where absent) and has_span (B,) bool.
        """
        first, last, has = mask_to_positions(in_span, frame_mask)
        spans = torch.stack([first, last + 1], -1).float()
        spans = torch.where(has[:, None], spans, torch.zeros_like(spans))
        return spans, has

    def get_targets(self, in_span: torch.Tensor,
                    frame_mask: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Targets of both heads.

        Args:
            in_span (Tensor): (B, T) bool, step inside the GT span.
            frame_mask (Tensor): (B, T) bool, real steps.

        Returns:
            dict: ``iou`` (B, T, S) raw IoU (0 on invalid candidates), ``conf_target``
            (B, T, S) IoU set to 0 where IoU < c, ``offset_target`` (B, T, S, 2),
            ``cand_mask`` (B, T, S) valid candidates, ``gt_mask`` (B, T, S) valid candidates
            of samples that have a GT span and ``pos_mask`` (B, T, S) those with IoU >= c.
        """
        frame_mask = frame_mask.bool()
        b, t = frame_mask.shape
        anchors = self.anchor_spans(t, frame_mask.sum(1))
        gt, has = self.gt_spans(in_span, frame_mask)
        gt = gt[:, None, None, :]
        cand_mask = self.candidate_mask(frame_mask)
        valid = cand_mask & has[:, None, None]
        iou = span_overlaps(anchors, gt).masked_fill(~valid, 0)
        pos = valid & (iou >= self.conf_thr)
        conf_target = iou.masked_fill(iou < self.conf_thr, 0)
        offset_target = gt - anchors
        if self.normalize_offsets:
            length = (anchors[..., 1] - anchors[..., 0]).clamp(min=1)
            offset_target = offset_target / length[..., None]
        offset_target = offset_target.masked_fill(~valid[..., None], 0)
        return dict(
            iou=iou,
            conf_target=conf_target,
            offset_target=offset_target,
            cand_mask=cand_mask,
            gt_mask=valid,
            pos_mask=pos)

    # ------------------------------------------------------------------ network
    @staticmethod
    def _run_gru(gru: nn.GRU, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Bi-GRU over the real steps only; padded outputs are 0. (B, T, d) -> (B, T, 2h)."""
        packed = pack_padded_sequence(
            x, lengths.clamp(min=1).cpu(), batch_first=True, enforce_sorted=False)
        out, _ = gru(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        return out

    def embed(self, feats: torch.Tensor, frame_mask: torch.Tensor) -> torch.Tensor:
        """Embedding layer.

        Args:
            feats (Tensor): (B, C, T, h, w).
            frame_mask (Tensor): (B, T) bool, real steps.

        Returns:
            Tensor: (B, T, d), 0 on padded steps.
        """
        m5 = frame_mask[:, None, :, None, None].to(feats.dtype)
        x = feats * m5
        x = torch.cat([branch(x).relu() * m5 for branch in self.branches], 1)
        x = self.fuse(x).relu()
        x = x.mean((3, 4)).transpose(1, 2)  # (B, T, d)
        if self.attn_layers is not None:
            for layer in self.attn_layers:
                x = layer(x, query_pos=None, key_padding_mask=~frame_mask)
        return x * frame_mask[..., None].to(x.dtype)

    def forward(self, feats: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Predict confidences and offsets of every candidate.

        Args:
            feats (dict): the grounder's features: ``feats[in_key]`` (B, C, T, h, w), the
                multi-modal feature ``M_mix``, and ``frame_mask`` (B, T) bool, real steps
                (padding only at the end; all steps when absent).

        Returns:
            dict: ``conf`` (B, T, S) predicted IoU in [0, 1], ``offsets`` (B, T, S, 2)
            predicted ``(delta_s, delta_e)`` (in steps, or in candidate lengths when
            ``normalize_offsets``) and ``emb`` (B, T, d) the embedding; meaningful on real
            steps only.
        """
        maps = self.get_input(feats)
        frame_mask = feats.get('frame_mask')
        b, _, t = maps.shape[:3]
        if frame_mask is None:
            frame_mask = torch.ones(b, t, dtype=torch.bool, device=maps.device)
        frame_mask = frame_mask.bool()
        lengths = frame_mask.sum(1)
        mask1 = frame_mask[:, None].to(maps.dtype)
        emb = self.embed(maps, frame_mask)
        h_conf = self._run_gru(self.conf_gru, emb, lengths).transpose(1, 2)
        conf = self.conf_conv(h_conf * mask1).sigmoid().transpose(1, 2)
        h_reg = self._run_gru(self.reg_gru, emb, lengths).transpose(1, 2)
        offsets = self.reg_conv(h_reg * mask1).transpose(1, 2).reshape(b, t, self.num_scales, 2)
        return dict(conf=conf, offsets=offsets, emb=emb)

    def loss_by_feat(self, outs: Dict[str, torch.Tensor],
                     targets: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Temporal losses ``L^t_con`` (Eq. 8) and ``L^t_reg`` (Eq. 9).

        Args:
            outs (dict): output of :meth:`forward`.
            targets (dict): ``in_span`` (B, T) bool, step inside the GT span, and
                ``frame_mask`` (B, T) bool, real steps.

        Returns:
            dict: ``loss_conf`` and ``loss_offset``.
        """
        conf, offsets = outs['conf'], outs['offsets']
        tg = self.get_targets(targets['in_span'], targets['frame_mask'])
        cand = tg['cand_mask'].to(conf.dtype)
        loss_conf = self.loss_conf(
            conf,
            tg['conf_target'].to(conf.dtype),
            weight=cand,
            avg_factor=cand.sum().clamp(min=1))
        reg_mask = tg['pos_mask'] if self.offset_pos_only else tg['gt_mask']
        reg_w = reg_mask.to(offsets.dtype)
        if reg_mask.any():
            loss_offset = self.loss_offset(
                offsets,
                tg['offset_target'].to(offsets.dtype),
                weight=reg_w[..., None].expand_as(offsets),
                avg_factor=reg_w.sum())
        else:
            loss_offset = offsets.sum() * 0
        return dict(loss_conf=loss_conf, loss_offset=loss_offset)

    # ------------------------------------------------------------------ inference
    def predict_by_feat(self,
                        outs: Dict[str, torch.Tensor],
                        frame_mask: torch.Tensor,
                        num_passes: int = 1) -> List[Tuple[int, int, float]]:
        """Best refined candidate of every sample as inclusive positions
        (:func:`~mmstvg.structures.span_to_positions`); with several passes, their
        confidences and offsets are averaged per step first.

        Returns:
            list[tuple]: ``(i, j, score)`` per sample, ``score`` the candidate's confidence.
        """
        conf = self.group_passes(outs['conf'], num_passes)
        offsets = self.group_passes(outs['offsets'], num_passes)
        lengths = frame_mask[::num_passes].sum(1).tolist()
        results = []
        for conf_i, offsets_i, n in zip(conf, offsets, lengths):
            start, end, score = self.predict_span((conf_i, offsets_i), n)
            results.append((*span_to_positions(start, end, n), score))
        return results

    def predict_span(self, out_i: Union[Dict[str, torch.Tensor], Tuple[torch.Tensor,
                                                                       torch.Tensor]],
                     valid_len: int) -> Tuple[float, float, float]:
        """Best candidate of one sample, refined by its offsets.

        Args:
            out_i (dict | tuple): ``dict(conf=(T, S), offsets=(T, S, 2))`` (one sample's
                slices of :meth:`forward`'s output; other keys ignored) or
                ``(conf, offsets)``.
            valid_len (int): number of real steps (clamped to [1, T]).

        Returns:
            tuple: ``(start, end, score)`` python floats, ``0 <= start < end <= valid_len``
            in steps (``[start, end)``), ``score`` the candidate's confidence. If the refined
            bounds are not increasing the unrefined candidate is returned.
        """
        if isinstance(out_i, dict):
            conf, offsets = out_i['conf'], out_i['offsets']
        else:
            conf, offsets = out_i
        t = conf.shape[0]
        n = min(max(int(valid_len), 1), t)
        scores = conf[:n].detach().float().reshape(-1)
        scores = scores.masked_fill(scores.isnan(), float('-inf'))
        k = int(scores.argmax())
        anchor = self.candidates(n, conf.device)[k]
        delta = offsets[:n].detach().float().reshape(-1, 2)[k]
        if self.normalize_offsets:
            delta = delta * (anchor[1] - anchor[0]).clamp(min=1)
        start, end = (anchor + delta).clamp(0, n).tolist()
        if not end > start:
            start, end = anchor.tolist()
        return float(start), float(end), float(scores[k])
