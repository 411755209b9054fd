"""STCAT's query decoder (Jin et al., NeurIPS 2022, §3.3 "Consistency-aware decoder"), shared
by the STCAT family: one query per frame, in two parallel decoders over the encoder's memory.

*Query templates* (§3.3, "template generator"): from the video token ``g`` and the frame
tokens ``f_t`` of the encoder, ``gamma = tanh(W_g g)``, ``beta = tanh(W_b g)``, every frame's
anchor box ``a_t = sigmoid(W_a (gamma * f_t + beta))`` (normalised cxcywh) and the temporal
content query ``c = W_c g`` (the same for every frame of a video).

*Spatial decoder* (DAB-DETR-style anchor decoder, N layers): the frame queries start at zero;
each layer computes the anchor's sine embedding ``sine(a_t)`` (d/2 features per coordinate,
in the order y, x, w, h), its positional query ``p_t = MLP(sine(a_t))``, and

1. self-attention over the frames of a video with separate content / anchor / time
   projections of query and key (``q = W_qc x + W_qa p + W_qt tau``, ``k`` likewise, ``v = W_v x``;
   ``tau`` the sine time encoding), residual, LayerNorm;
2. conditional cross-attention of every frame query to its own frame's memory: per head,
   query ``[W_qc x (+ W_qa p on the first layer), W_qs (sine(a_t)_{yx} * s)]`` and key
   ``[W_kc m (+ W_kp pos on the first layer), W_kp pos]`` (``s = 1`` on the first layer,
   ``MLP(x)`` after), value ``W_v m``, output projection; residual, LayerNorm;
3. FFN, residual, LayerNorm;
4. anchor refinement with the (shared) box MLP of the spatial head:
   ``a <- sigmoid(box_mlp(x) + logit(a))`` (not back-propagated into the next layer).

It returns every layer's LayerNorm-ed queries and the anchor each layer's box is relative to.

*Temporal decoder* (N layers): the frame queries start at zero, with the content query ``c``
and the time encoding as position of the self-attention over the frames (its head-averaged
weights are returned: the guided attention loss reads them), the content query alone as
position of the cross-attention of every frame query to its frame's memory, FFN (post-norm,
DETR style); every layer's LayerNorm-ed queries.

Family hooks: a subclass can override :meth:`STCATDecoder.templates` (the query
initialisation) or wrap :meth:`STCATDecoder.forward`; the layer classes are plain modules of
this file.
"""
import math
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn.bricks.transformer import FFN
from mmdet.models.layers import MLP
from mmengine.model import BaseModule

from mmstvg.registry import MODELS
from ..utils.activation_checkpoint import checkpoint_call
from ..utils.attention_centroid import attention_centroid
from .space_time_decoder import time_encoding


def inverse_sigmoid(x: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """``log(x / (1 - x))`` with both clamped at ``eps`` (the released code's ``eps=1e-3``)."""
    x = x.clamp(min=0, max=1)
    return torch.log(x.clamp(min=eps) / (1 - x).clamp(min=eps))


def anchor_sine_embed(anchors: torch.Tensor, num_feats: int = 128) -> torch.Tensor:
    """Sine embedding of normalised boxes (DAB-DETR).

    Args:
        anchors (Tensor): (..., 2) cx, cy or (..., 4) cx, cy, w, h in [0, 1].
        num_feats (int): features per coordinate (the released code: 128).

    Returns:
        Tensor: (..., 2 * num_feats) or (..., 4 * num_feats), coordinates in the order
        y, x(, w, h), each ``[sin, cos]`` interleaved.
    """
    dim_t = torch.arange(num_feats, dtype=torch.float32, device=anchors.device)
    dim_t = 10000**(2 * torch.div(dim_t, 2, rounding_mode='floor') / num_feats)

    def embed(c):
        e = (c * 2 * math.pi)[..., None] / dim_t
        return torch.stack((e[..., 0::2].sin(), e[..., 1::2].cos()), -1).flatten(-2)

    order = [1, 0] if anchors.shape[-1] == 2 else [1, 0, 2, 3]
    if anchors.shape[-1] not in (2, 4):
        raise ValueError(f'anchors must have 2 or 4 coordinates, got {anchors.shape[-1]}')
    return torch.cat([embed(anchors[..., i]) for i in order], -1)


def ffn_cfg(embed_dims: int, feedforward_channels: int, dropout: float) -> dict:
    return dict(
        embed_dims=embed_dims,
        feedforward_channels=feedforward_channels,
        num_fcs=2,
        ffn_drop=dropout,
        act_cfg=dict(type='ReLU', inplace=True))


def scatter_frames(values: torch.Tensor, frame_mask: torch.Tensor) -> torch.Tensor:
    """(N, ...) values of the real frames -> (B, T, ...) with zeros on padded frames."""
    b, t = frame_mask.shape
    out = values.new_zeros(b, t, *values.shape[1:])
    return out.index_put(frame_mask.nonzero(as_tuple=True), values)


class ConditionalCrossAttention(nn.Module):
    """Multi-head attention on given (already projected) queries and keys of width ``2 d``
    and values of width ``d`` (Conditional DETR's cross-attention); only the output
    projection is learned here."""

    def __init__(self, embed_dims: int, num_heads: int, dropout: float) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.dropout = dropout
        self.out_proj = nn.Linear(embed_dims, embed_dims)

    def forward(self,
                query: torch.Tensor,
                key: torch.Tensor,
                value: torch.Tensor,
                key_padding_mask: Optional[torch.Tensor],
                need_weights: bool = False):
        """query (M, Lq, 2d), key (M, Lk, 2d), value (M, Lk, d), mask (M, Lk) True = padded
        -> (M, Lq, d), and with ``need_weights`` the head-averaged weights (M, Lq, Lk)."""
        m, lq, _ = query.shape
        h = self.num_heads
        q = query.view(m, lq, h, -1).transpose(1, 2)
        k = key.view(m, key.shape[1], h, -1).transpose(1, 2)
        v = value.view(m, value.shape[1], h, -1).transpose(1, 2)
        scores = (q * q.shape[-1]**-0.5) @ k.transpose(-1, -2)  # (M, H, Lq, Lk)
        if key_padding_mask is not None:
            scores = scores.masked_fill(key_padding_mask[:, None, None], float('-inf'))
        attn = (scores - scores.max(-1, keepdim=True)[0]).softmax(-1)
        attn = F.dropout(attn, p=self.dropout, training=self.training)
        out = self.out_proj((attn @ v).transpose(1, 2).reshape(m, lq, -1))
        return (out, attn.mean(1)) if need_weights else out


class AnchorDecoderLayer(nn.Module):
    """One layer of the spatial decoder (module docstring, steps 1-3).

    Args:
        embed_dims (int): d.
        num_heads (int): heads.
        feedforward_channels (int): FFN width.
        dropout (float): dropout.
        first (bool): the first layer (it alone projects the positional query into the
            cross-attention query, ``cross_q_anchor``).
    """

    def __init__(self, embed_dims: int, num_heads: int, feedforward_channels: int, dropout: float,
                 first: bool) -> None:
        super().__init__()
        d = embed_dims
        self.num_heads = num_heads
        for name in ('self_q_content', 'self_q_anchor', 'self_q_time', 'self_k_content',
                     'self_k_anchor', 'self_k_time', 'self_v', 'cross_q_content',
                     'cross_k_content', 'cross_k_pos', 'cross_v', 'cross_q_sine'):
            setattr(self, name, nn.Linear(d, d))
        self.cross_q_anchor = nn.Linear(d, d) if first else None
        self.self_attn = nn.MultiheadAttention(d, num_heads, dropout=dropout, batch_first=True)
        self.cross_attn = ConditionalCrossAttention(d, num_heads, dropout)
        self.ffn = FFN(**ffn_cfg(d, feedforward_channels, dropout))
        self.norms = nn.ModuleList(nn.LayerNorm(d) for _ in range(3))
        self.drops = nn.ModuleList(nn.Dropout(dropout) for _ in range(2))

    def forward(self,
                x: torch.Tensor,
                anchor_pos: torch.Tensor,
                anchor_sine: torch.Tensor,
                time_pos: torch.Tensor,
                memory: torch.Tensor,
                memory_pos: torch.Tensor,
                memory_mask: torch.Tensor,
                frame_mask: torch.Tensor,
                need_weights: bool = False):
        """
        Args:
            x (Tensor): (B, T, d) frame queries.
            anchor_pos (Tensor): (B, T, d) positional queries ``MLP(sine(a))``.
            anchor_sine (Tensor): (B, T, d) scaled centre sine embedding.
            time_pos (Tensor): (1, T, d) time encoding.
            memory, memory_pos (Tensor): (N, S, d) of the real frames.
            memory_mask (Tensor): (N, S) bool, True = padded.
            frame_mask (Tensor): (B, T) bool.
            need_weights (bool): also return the cross-attention weights.

        Returns:
            Tensor: (B, T, d); with ``need_weights`` also the head-averaged cross-attention
            weights of every real frame's query over its memory (N, S).
        """
        x = self.self_attention(x, anchor_pos, time_pos, frame_mask)
        return self.cross_attention_ffn(x, anchor_pos, anchor_sine, memory, memory_pos,
                                        memory_mask, frame_mask, need_weights)

    def self_attention(self, x: torch.Tensor, anchor_pos: torch.Tensor, time_pos: torch.Tensor,
                       frame_mask: torch.Tensor) -> torch.Tensor:
        """Step 1 (module docstring): (B, T, d) -> (B, T, d). A fork adds its own step
        between :meth:`self_attention` and :meth:`cross_attention_ffn` (CG-STVG)."""
        q = self.self_q_content(x) + self.self_q_time(time_pos) + self.self_q_anchor(anchor_pos)
        k = self.self_k_content(x) + self.self_k_time(time_pos) + self.self_k_anchor(anchor_pos)
        out = self.self_attn(
            q, k, self.self_v(x), key_padding_mask=~frame_mask, need_weights=False)[0]
        x = self.norms[0](x + self.drops[0](out))
        return x

    def cross_attention_ffn(self,
                            x: torch.Tensor,
                            anchor_pos: torch.Tensor,
                            anchor_sine: torch.Tensor,
                            memory: torch.Tensor,
                            memory_pos: torch.Tensor,
                            memory_mask: torch.Tensor,
                            frame_mask: torch.Tensor,
                            need_weights: bool = False):
        """Steps 2-3 (module docstring): (B, T, d) -> (B, T, d) (and the weights (N, S) with
        ``need_weights``)."""
        b, t, d = x.shape
        h = self.num_heads
        q = self.cross_q_content(x)
        k = self.cross_k_content(memory)
        k_pos = self.cross_k_pos(memory_pos)
        if self.cross_q_anchor is not None:
            q = q + self.cross_q_anchor(anchor_pos)
            k = k + k_pos
        sine = self.cross_q_sine(anchor_sine)
        q = torch.cat([q.view(b, t, h, -1), sine.view(b, t, h, -1)], -1).view(b, t, 2 * d)
        n, s, _ = memory.shape
        k = torch.cat([k.view(n, s, h, -1), k_pos.view(n, s, h, -1)], -1).view(n, s, 2 * d)
        out = self.cross_attn(q[frame_mask][:, None], k, self.cross_v(memory), memory_mask,
                              need_weights)
        if need_weights:
            out, weights = out
        x = self.norms[1](x + self.drops[1](scatter_frames(out[:, 0], frame_mask)))
        x = self.norms[2](self.ffn(x))
        return (x, weights[:, 0]) if need_weights else x


class TimeDecoderLayer(nn.Module):
    """One layer of the temporal decoder (module docstring); returns the queries and the
    head-averaged self-attention weights (B, T, T)."""

    def __init__(self, embed_dims: int, num_heads: int, feedforward_channels: int,
                 dropout: float) -> None:
        super().__init__()
        d = embed_dims
        self.self_attn = nn.MultiheadAttention(d, num_heads, dropout=dropout, batch_first=True)
        self.cross_attn = nn.MultiheadAttention(d, num_heads, dropout=dropout, batch_first=True)
        self.ffn = FFN(**ffn_cfg(d, feedforward_channels, dropout))
        self.norms = nn.ModuleList(nn.LayerNorm(d) for _ in range(3))
        self.drops = nn.ModuleList(nn.Dropout(dropout) for _ in range(2))

    def forward(self, x: torch.Tensor, content: torch.Tensor, time_pos: torch.Tensor,
                memory: torch.Tensor, memory_pos: torch.Tensor, memory_mask: torch.Tensor,
                frame_mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """x (B, T, d), content (B, T, d) content queries (the position of both attentions),
        time_pos (1, T, d) (the self-attention's only), memory / memory_pos (N, S, d),
        memory_mask (N, S), frame_mask (B, T) -> (B, T, d), (B, T, T)."""
        qk = x + (content + time_pos)
        out, weights = self.self_attn(qk, qk, x, key_padding_mask=~frame_mask)
        x = self.norms[0](x + self.drops[0](out))
        q = (x + content)[frame_mask][:, None]  # (N, 1, d): each frame reads its memory
        out = self.cross_attn(
            q, memory + memory_pos, memory, key_padding_mask=memory_mask, need_weights=False)[0]
        x = self.norms[1](x + self.drops[1](scatter_frames(out[:, 0], frame_mask)))
        return self.norms[2](self.ffn(x)), weights


class QueryTemplate(nn.Module):
    """Anchor boxes and temporal content queries from the encoder's tokens (module
    docstring, "Query templates")."""

    def __init__(self, embed_dims: int, anchor_dims: int = 4) -> None:
        super().__init__()
        d = embed_dims
        self.content = nn.Linear(d, d)
        self.gamma = nn.Linear(d, d)
        self.beta = nn.Linear(d, d)
        self.anchor = nn.Linear(d, anchor_dims)

    def forward(self, frame_tokens: torch.Tensor, video_tokens: torch.Tensor,
                frame_mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """frame_tokens (N, d), video_tokens (B, d), frame_mask (B, T) -> anchor logits
        (B, T, anchor_dims) and content queries (B, T, d), zeros on padded frames."""
        video_of = frame_mask.nonzero(as_tuple=True)[0]
        gamma = torch.tanh(self.gamma(video_tokens))[video_of]
        beta = torch.tanh(self.beta(video_tokens))[video_of]
        anchors = self.anchor(gamma * frame_tokens + beta)
        content = self.content(video_tokens)[video_of]
        return scatter_frames(anchors, frame_mask), scatter_frames(content, frame_mask)


@MODELS.register_module()
class STCATDecoder(BaseModule):
    """Template generator + spatial (anchor) decoder + temporal decoder (module docstring).

    Args:
        embed_dims (int): d (256).
        num_layers (int): layers of each decoder (6).
        num_heads (int): heads (8).
        feedforward_channels (int): FFN width (2048).
        dropout (float): dropout (0.1).
        max_len (int): the most frames of a video (200).
        learned_time_embed (bool): learned time embedding (the released models: False).
        anchor_dims (int): 4 (cxcywh anchors, ``QUERY_DIM``).
        with_cp (bool): activation checkpointing of every layer (memory).
        box_reference (str, optional): ``'attention'``: every spatial layer's box is
            relative to its anchor with the centre replaced by the centroid of the layer's
            cross-attention over the frame's visual memory (gradients flow into the
            attention); the next layer's anchor is that box. A training aid for models trained
            from scratch, as TubeDETR's and STVGFormer's option; not in the paper. None (the
            released decoder) by default.
        init_cfg (dict, optional): initialisation config.
    """
    #: the spatial decoder's layer class (a fork's subclass adds steps: CG-STVG)
    box_layer_type = AnchorDecoderLayer

    def __init__(self,
                 embed_dims: int = 256,
                 num_layers: int = 6,
                 num_heads: int = 8,
                 feedforward_channels: int = 2048,
                 dropout: float = 0.1,
                 max_len: int = 200,
                 learned_time_embed: bool = False,
                 anchor_dims: int = 4,
                 with_cp: bool = False,
                 box_reference: Optional[str] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if box_reference not in (None, 'attention'):
            raise ValueError(f'box_reference must be None or "attention", got {box_reference!r}')
        self.box_reference = box_reference
        if anchor_dims != 4:
            raise ValueError('STCATDecoder supports 4-d (cxcywh) anchors only')
        d = embed_dims
        self.embed_dims = d
        self.max_len = max_len
        self.with_cp = with_cp
        self.template = QueryTemplate(d, anchor_dims)
        self.box_layers = nn.ModuleList(
            self.box_layer_type(d, num_heads, feedforward_channels, dropout, first=i == 0)
            for i in range(num_layers))
        self.box_norm = nn.LayerNorm(d)
        self.anchor_scale = MLP(d, d, d, 2)
        self.anchor_pos = MLP(anchor_dims // 2 * d, d, d, 2)
        self.time_layers = nn.ModuleList(
            TimeDecoderLayer(d, num_heads, feedforward_channels, dropout)
            for _ in range(num_layers))
        self.time_norm = nn.LayerNorm(d)
        if learned_time_embed:
            self.time_embed = nn.Embedding(max_len + 1, d)
        else:
            self.time_embed = None
            self.register_buffer('time_pos', time_encoding(max_len + 1, d), persistent=False)
        for p in self.parameters():  # the released initialisation
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        if learned_time_embed:
            nn.init.normal_(self.time_embed.weight)

    def time_pos_of(self, length: int) -> torch.Tensor:
        """(length, d) time encoding of the positions ``0 .. length - 1``."""
        if length > self.max_len + 1:
            raise ValueError(f'{length} frames exceed max_len={self.max_len}')
        if self.time_embed is not None:
            return self.time_embed.weight[:length]
        return self.time_pos[:length]

    def templates(self, enc: Dict[str, torch.Tensor],
                  frame_mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """(B, T, 4) initial anchors in [0, 1] and (B, T, d) temporal content queries."""
        anchors, content = self.template(enc['frame_tokens'], enc['video_tokens'], frame_mask)
        anchors = scatter_frames(anchors[frame_mask].sigmoid(), frame_mask)
        return anchors, content

    def decode_boxes(self,
                     enc: Dict[str, torch.Tensor],
                     anchors: torch.Tensor,
                     time_pos: torch.Tensor,
                     frame_mask: torch.Tensor,
                     box_mlp: Optional[Callable],
                     need_weights: bool = False) -> Dict[str, torch.Tensor]:
        """The spatial decoder: ``queries`` (L, B, T, d) every layer's normalised queries,
        ``anchors`` (L, B, T, 4) the anchor each layer's box is relative to and, with
        ``need_weights`` (or ``box_reference``), ``cross_attn`` (L, N, S) every layer's
        cross-attention weights."""
        d = self.embed_dims
        need_weights = need_weights or self.box_reference is not None
        x = anchors.new_zeros(*anchors.shape[:2], d)
        queries, refs, weights = [], [], []
        prev = anchors  # the reference of this layer's box: the previous layer's box
        for i, layer in enumerate(self.box_layers):
            sine = anchor_sine_embed(anchors, d // 2)
            anchor_pos = self.anchor_pos(sine)
            scale = 1 if i == 0 else self.anchor_scale(x)
            x = checkpoint_call(layer, self.with_cp, x, anchor_pos, sine[..., :d] * scale,
                                time_pos, enc['memory'], enc['memory_pos'], enc['memory_mask'],
                                frame_mask, **(dict(need_weights=True) if need_weights else {}))
            if need_weights:
                x, w = x
                weights.append(w)
            queries.append(self.box_norm(x))
            if self.box_reference is None:
                refs.append(prev)
                base = anchors
            else:
                base = self.attention_anchor(enc, w, anchors, frame_mask)
                refs.append(base)
            if box_mlp is not None:
                prev = (box_mlp(x) + inverse_sigmoid(base)).sigmoid()
                anchors = prev.detach()
        out = dict(queries=torch.stack(queries), anchors=torch.stack(refs))
        if weights:
            out['cross_attn'] = torch.stack(weights)
        return out

    @staticmethod
    def attention_anchor(enc: Dict[str, torch.Tensor], weights: torch.Tensor,
                         anchors: torch.Tensor, frame_mask: torch.Tensor) -> torch.Tensor:
        """``anchors`` (B, T, 4) cxcywh with every real frame's centre replaced by the
        centroid of its query's attention ``weights`` (N, S) over the visual memory (the
        first ``h * w`` tokens, ``enc['feat_hw']``)."""
        h, w = enc['feat_hw']
        maps = weights[:, :h * w].reshape(-1, h, w)
        img_mask = enc['memory_mask'][:, :h * w].reshape(-1, h, w)
        centres = scatter_frames(attention_centroid(maps, img_mask), frame_mask)
        return torch.cat([centres, anchors[..., 2:]], -1)

    def decode_time(self,
                    enc: Dict[str, torch.Tensor],
                    content: torch.Tensor,
                    time_pos: torch.Tensor,
                    frame_mask: torch.Tensor,
                    init: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        """The temporal decoder: every layer's normalised queries (L, B, T, d) and
        self-attention weights (L, B, T, T); the queries start at ``init`` (B, T, d) or zero
        (TA-STVG starts them from its target-aware query)."""
        x = torch.zeros_like(content) if init is None else init
        queries: List[torch.Tensor] = []
        weights: List[torch.Tensor] = []
        for layer in self.time_layers:
            x, w = checkpoint_call(layer, self.with_cp, x, content, time_pos, enc['memory'],
                                   enc['memory_pos'], enc['memory_mask'], frame_mask)
            queries.append(self.time_norm(x))
            weights.append(w)
        return torch.stack(queries), torch.stack(weights)

    def forward(self,
                enc: Dict[str, torch.Tensor],
                frame_mask: torch.Tensor,
                box_mlp: Optional[Callable] = None,
                need_cross_weights: bool = False) -> Dict[str, torch.Tensor]:
        """Decode.

        Args:
            enc (dict): :class:`~mmstvg.models.necks.STCATEncoder`'s outputs (``memory``,
                ``memory_mask``, ``memory_pos`` (N, S, ...), ``frame_tokens`` (N, d),
                ``video_tokens`` (B, d)).
            frame_mask (Tensor): (B, T) bool, real frames.
            box_mlp (callable, optional): the spatial head's box MLP, (..., d) -> (..., 4)
                logit offsets (anchor refinement); None: the anchors stay the templates.
            need_cross_weights (bool): also return the spatial decoder's cross-attention
                weights (``cross_attn``).

        Returns:
            dict: ``queries`` (L, B, T, d) spatial decoder, ``anchors`` (L, B, T, 4) the
            reference of every layer's box, ``time_queries`` (L, B, T, d) temporal decoder,
            ``time_self_attn`` (L, B, T, T) its self-attention weights; with
            ``need_cross_weights`` or ``box_reference``: ``cross_attn`` (L, N, S) every real
            frame's spatial query's head-averaged weights over its memory.
        """
        frame_mask = frame_mask.bool()
        anchors, content = self.templates(enc, frame_mask)
        time_pos = self.time_pos_of(frame_mask.shape[1]).to(content.dtype)[None]
        out = self.decode_boxes(enc, anchors, time_pos, frame_mask, box_mlp, need_cross_weights)
        time_queries, weights = self.decode_time(enc, content, time_pos, frame_mask)
        out.update(time_queries=time_queries, time_self_attn=weights)
        return out
