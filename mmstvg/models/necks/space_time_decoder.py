"""TubeDETR's space-time decoder (Yang et al., CVPR 2022, §3.2 "Space-time decoder").

One query per frame: the learned object query embedding (one, shared by all frames) plus the
time encoding of the frame (a fixed 1-D sine encoding of the frame's position in the sampled
sequence, "time embeddings") is the positional part of the query; the query content starts at
zero (DETR's ``pass_pos_and_query``). ``N`` :class:`~mmstvg.models.layers.TimeAwareDecoderLayer`
layers (temporal self-attention, time-aligned cross-attention to the frame's video-text
memory, FFN) follow; every layer's output goes through the shared final LayerNorm, so each
layer can be supervised (auxiliary losses).

The time encoding is ``te[t, 2i] = sin(t w_i)``, ``te[t, 2i + 1] = cos(t w_i)`` with
``w_i = exp(-2i log(10000) / d)`` for ``t < max_len``, computed once (not a learned or saved
parameter; TubeDETR's checkpoints store the same table as a buffer, which the converter checks
and drops).
"""
import math
from typing import Dict, Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmstvg.ops import check_attn_impl
from mmstvg.registry import MODELS
from ..layers import TimeAwareDecoderLayer, safe_key_padding_mask


def time_encoding(max_len: int, dims: int, dtype: Optional[torch.dtype] = None) -> torch.Tensor:
    """(max_len, dims) sine/cosine encoding of positions ``0 .. max_len - 1`` (module
    docstring; the ``exp``/``log`` form of TubeDETR's ``TimeEmbeddingSine``), computed in
    ``dtype`` (default: torch's default dtype)."""
    if dims % 2:
        raise ValueError(f'the time encoding needs an even size, got {dims}')
    dtype = dtype or torch.get_default_dtype()
    position = torch.arange(max_len, dtype=dtype)[:, None]
    freq = torch.exp(torch.arange(0, dims, 2, dtype=dtype) * (-math.log(10000.0) / dims))
    te = torch.zeros(max_len, dims, dtype=dtype)
    te[:, 0::2] = torch.sin(position * freq)
    te[:, 1::2] = torch.cos(position * freq)
    return te


@MODELS.register_module()
class SpaceTimeDecoder(BaseModule):
    """Space-time decoder (module docstring).

    Args:
        embed_dims (int): d (TubeDETR: 256).
        num_layers (int): N (TubeDETR: 6).
        num_heads (int): attention heads (TubeDETR: 8).
        feedforward_channels (int): FFN hidden size (TubeDETR: 2048).
        dropout (float): dropout on the attention weights, after the attentions and in the
            FFN (TubeDETR: 0.1).
        max_len (int): longest frame sequence the time encoding covers (TubeDETR's
            ``video_max_len``: 200).
        time_embed (bool): add the time encoding to the queries (TubeDETR; False is its
            "w/o time encoding" ablation, ``--no_time_embed``).
        attn_impl (str): kernel of the cross-attention, 'naive' | 'sdpa' | 'fused'
            (:mod:`mmstvg.ops`). Defaults to 'sdpa'.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_layers: int = 6,
                 num_heads: int = 8,
                 feedforward_channels: int = 2048,
                 dropout: float = 0.1,
                 max_len: int = 200,
                 time_embed: bool = True,
                 attn_impl: str = 'sdpa',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = embed_dims
        self.max_len = int(max_len)
        attn = dict(
            embed_dims=embed_dims,
            num_heads=num_heads,
            attn_drop=dropout,
            proj_drop=dropout,
            batch_first=True,
            attn_impl=check_attn_impl(attn_impl))
        ffn = dict(
            embed_dims=embed_dims,
            feedforward_channels=feedforward_channels,
            num_fcs=2,
            ffn_drop=dropout,
            act_cfg=dict(type='ReLU', inplace=True))
        self.layers = nn.ModuleList(
            TimeAwareDecoderLayer(
                self_attn_cfg=dict(attn), cross_attn_cfg=dict(attn), ffn_cfg=dict(ffn))
            for _ in range(num_layers))
        self.norm = nn.LayerNorm(embed_dims)
        self.query_embed = nn.Embedding(1, embed_dims)
        self.time_embed = time_embed
        if time_embed:
            self.register_buffer('time_enc', time_encoding(self.max_len, embed_dims), False)

    @property
    def num_layers(self) -> int:
        return len(self.layers)

    def query_pos(self, batch_size: int, num_frames: int) -> torch.Tensor:
        """(B, T, d) positional part of the frame queries."""
        if num_frames > self.max_len:
            raise ValueError(f'{num_frames} frames exceed the time encoding of max_len='
                             f'{self.max_len} (sample at most max_len frames)')
        pos = self.query_embed.weight.expand(num_frames, -1)
        if self.time_embed:
            pos = pos + self.time_enc[:num_frames]
        return pos[None].expand(batch_size, -1, -1)

    def forward(self,
                memory: torch.Tensor,
                memory_pos: torch.Tensor,
                memory_mask: torch.Tensor,
                frame_mask: torch.Tensor,
                need_cross_weights: bool = False) -> Dict[str, Optional[torch.Tensor]]:
        """Decode the frame queries of a batch.

        Args:
            memory (Tensor): (B * T, S, d) video-text memory of every frame.
            memory_pos (Tensor): (B * T, S, d) its positional embedding.
            memory_mask (Tensor): (B * T, S) bool, True = padded entry.
            frame_mask (Tensor): (B, T) bool, real frames.
            need_cross_weights (bool): also return the cross-attention weights.

        Returns:
            dict: ``queries`` (N, B, T, d) every layer's output after the final norm,
            ``self_attn`` (N, B, T, T) the temporal self-attention weights and
            ``cross_attn`` (N, B * T, S) or None.
        """
        b, t = frame_mask.shape
        query_pos = self.query_pos(b, t)
        query = torch.zeros_like(query_pos)
        padding = safe_key_padding_mask(~frame_mask.bool())
        memory_mask = safe_key_padding_mask(memory_mask)
        queries, self_attn, cross_attn = [], [], []
        for layer in self.layers:
            query, sa, ca = layer(query, query_pos, memory, memory_pos, memory_mask, padding,
                                  need_cross_weights)
            queries.append(self.norm(query))
            self_attn.append(sa)
            cross_attn.append(ca)
        return dict(
            queries=torch.stack(queries),
            self_attn=torch.stack(self_attn),
            cross_attn=torch.stack(cross_attn) if need_cross_weights else None)
