"""STCAT's spatio-temporal cross-modal encoder (Jin et al., "Embracing Consistency: A One-Stage
Approach for Spatio-Temporal Video Grounding", NeurIPS 2022, §3.2 "Multi-modal encoder"), the
encoder shared by the STCAT family (CG-STVG and TA-STVG build on it).

Every frame is one token sequence, ``[frame token, h*w visual tokens, L text tokens
(, extra tokens)]``: the frame's projected backbone map with its 2-D sine position encoding
and the sentence's tokens (no position encoding), plus a learned *frame token* (with a learned
position embedding). Each of the N layers is

1. a *spatial* post-norm transformer encoder layer on every frame's sequence separately
   (vision-text interaction inside the frame);
2. a *temporal* post-norm transformer encoder layer on the sequence ``[video token, frame
   token of frame 1 .. T]`` of each video, with a sine time encoding of the positions
   ``0 .. T`` (or a learned one); its outputs replace the frame tokens and the video token.

Outputs: the memory (the visual and text tokens of every frame after the last layer), its
padding mask and position encoding (the visual one, zeros for text), the frame tokens and the
video token (which the decoder turns into its queries).

Frames are handled as in the released code: only the real frames of each video are encoded
(``frame_mask``), in batch-major order (``N = frame_mask.sum()``); the temporal layers work
on the padded ``(B, T + 1)`` sequences. The first visual position of every frame is never
masked (the released code's guard against empty masks).

Family hooks: :meth:`STCATEncoder.forward` takes ``extra_tokens`` (appended after the text
tokens of every frame, e.g. CG-STVG's VidSwin motion tokens) and a subclass can override
:meth:`STCATEncoder.frame_sequence` (how a frame's sequence is built) or
:meth:`STCATEncoder.encode` (the layer loop).
"""
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmstvg.registry import MODELS
from ..layers.fusible_encoder_layer import FusibleDetrTransformerEncoderLayer
from ..utils.activation_checkpoint import checkpoint_call
from .space_time_decoder import time_encoding


def post_norm_layer_cfg(embed_dims: int, num_heads: int, feedforward_channels: int, dropout: float,
                        attn_impl: str) -> dict:
    """Config of a DETR post-norm encoder layer (attention dropout, output dropout and FFN
    dropout all ``dropout``; ReLU FFN; LayerNorm) as the STCAT family uses it."""
    return dict(
        self_attn_cfg=dict(
            embed_dims=embed_dims,
            num_heads=num_heads,
            attn_drop=dropout,
            proj_drop=dropout,
            batch_first=True,
            attn_impl=attn_impl),
        ffn_cfg=dict(
            embed_dims=embed_dims,
            feedforward_channels=feedforward_channels,
            num_fcs=2,
            ffn_drop=dropout,
            act_cfg=dict(type='ReLU', inplace=True)),
        norm_cfg=dict(type='LN'))


@MODELS.register_module()
class STCATEncoder(BaseModule):
    """Spatio-temporal cross-modal encoder (module docstring).

    Args:
        embed_dims (int): d (STCAT: 256).
        num_layers (int): N spatial + N temporal layers (STCAT: 6).
        num_heads (int): attention heads (8).
        feedforward_channels (int): FFN width (2048).
        dropout (float): dropout of the layers (0.1).
        max_len (int): the most frames of a video (``INPUT.MAX_VIDEO_LEN``: 200; the time
            encoding covers ``max_len + 1`` positions).
        learned_time_embed (bool): learned time embedding instead of the sine one
            (``USE_LEARN_TIME_EMBED``; the released models: False).
        attn_impl (str): attention kernel of the layers, ``'naive'``, ``'sdpa'`` or
            ``'fused'`` (memory; the weights are the same).
        with_cp (bool): activation checkpointing of every layer (memory).
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_layers: int = 6,
                 num_heads: int = 8,
                 feedforward_channels: int = 2048,
                 dropout: float = 0.1,
                 max_len: int = 200,
                 learned_time_embed: bool = False,
                 attn_impl: str = 'naive',
                 with_cp: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = embed_dims
        self.max_len = max_len
        self.with_cp = with_cp
        cfg = post_norm_layer_cfg(embed_dims, num_heads, feedforward_channels, dropout, attn_impl)
        self.spatial_layers = nn.ModuleList(
            FusibleDetrTransformerEncoderLayer(**cfg) for _ in range(num_layers))
        self.temporal_layers = nn.ModuleList(
            FusibleDetrTransformerEncoderLayer(**cfg) for _ in range(num_layers))
        self.frame_token = nn.Embedding(1, embed_dims)
        self.frame_token_pos = nn.Embedding(1, embed_dims)
        self.video_token = nn.Embedding(1, embed_dims)
        if learned_time_embed:
            self.time_embed = nn.Embedding(max_len + 1, embed_dims)
        else:
            self.time_embed = None
            self.register_buffer(
                'time_pos', time_encoding(max_len + 1, embed_dims), persistent=False)
        self._reset_parameters(learned_time_embed)

    def _reset_parameters(self, learned_time_embed: bool) -> None:
        # the released initialisation: Xavier on every matrix, N(0, 1) learned time embedding
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        if learned_time_embed:
            nn.init.normal_(self.time_embed.weight)

    def time_pos_of(self, length: int) -> torch.Tensor:
        """(length, d) time encoding of the positions ``0 .. length - 1``."""
        if length > self.max_len + 1:
            raise ValueError(f'{length - 1} frames exceed max_len={self.max_len}')
        if self.time_embed is not None:
            return self.time_embed.weight[:length]
        return self.time_pos[:length]

    def frame_sequence(
        self,
        vis: torch.Tensor,
        vis_pos: torch.Tensor,
        vis_mask: torch.Tensor,
        text: torch.Tensor,
        text_mask: torch.Tensor,
        extra_tokens: Optional[Tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = None
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Every frame's token sequence without the frame token.

        Args:
            vis (Tensor): (N, d, h, w) projected visual maps of the real frames.
            vis_pos (Tensor): (N, d, h, w) their position encoding.
            vis_mask (Tensor): (N, h, w) bool, True = padded position.
            text (Tensor): (N, L, d) the sentence tokens of every frame's video.
            text_mask (Tensor): (N, L) bool, True = padded token.
            extra_tokens (tuple, optional): (tokens (N, K, d), mask (N, K) bool True = padded,
                pos (N, K, d)) appended after the text.

        Returns:
            tuple: tokens (N, S, d), padding mask (N, S) bool, position encoding (N, S, d),
            ``S = h * w + L (+ K)``.
        """
        vis_mask = vis_mask.flatten(1).clone()
        vis_mask[:, 0] = False  # never an empty key set (released code)
        tokens = [vis.flatten(2).transpose(1, 2), text]
        masks = [vis_mask, text_mask]
        pos = [vis_pos.flatten(2).transpose(1, 2), torch.zeros_like(text)]
        if extra_tokens is not None:
            tokens.append(extra_tokens[0])
            masks.append(extra_tokens[1])
            pos.append(extra_tokens[2])
        return torch.cat(tokens, 1), torch.cat(masks, 1), torch.cat(pos, 1)

    def _layer(self, layer: nn.Module, x: torch.Tensor, pos: torch.Tensor,
               mask: torch.Tensor) -> torch.Tensor:
        return checkpoint_call(layer, self.with_cp, x, pos, mask)

    def encode(self, tokens: torch.Tensor, mask: torch.Tensor, pos: torch.Tensor,
               frame_mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The N spatial + temporal layers (module docstring).

        Args:
            tokens (Tensor): (N, S, d) frame sequences (:meth:`frame_sequence`).
            mask (Tensor): (N, S) bool, True = padded.
            pos (Tensor): (N, S, d).
            frame_mask (Tensor): (B, T) bool, real frames (``N`` of them).

        Returns:
            tuple: memory (N, S, d), frame tokens (N, d), video tokens (B, d).
        """
        n, _, d = tokens.shape
        b, t = frame_mask.shape
        x = torch.cat([self.frame_token.weight.expand(n, 1, d), tokens], 1)
        pos = torch.cat([self.frame_token_pos.weight.expand(n, 1, d), pos], 1)
        mask = torch.cat([mask.new_zeros(n, 1), mask], 1)
        video = self.video_token.weight.expand(b, 1, d)
        time_pos = self.time_pos_of(t + 1).to(x.dtype)[None]
        time_mask = torch.cat([frame_mask.new_zeros(b, 1), ~frame_mask], 1)
        where = frame_mask.nonzero(as_tuple=True)
        for spatial, temporal in zip(self.spatial_layers, self.temporal_layers):
            x = self._layer(spatial, x, pos, mask)
            seq = x.new_zeros(b, t, d).index_put(where, x[:, 0])
            seq = self._layer(temporal, torch.cat([video, seq], 1), time_pos, time_mask)
            video = seq[:, :1]
            x = torch.cat([seq[:, 1:][where][:, None], x[:, 1:]], 1)
        return x[:, 1:], x[:, 0], video[:, 0]

    def forward(
        self,
        vis: torch.Tensor,
        vis_pos: torch.Tensor,
        vis_mask: torch.Tensor,
        text: torch.Tensor,
        text_mask: torch.Tensor,
        frame_mask: torch.Tensor,
        extra_tokens: Optional[Tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = None
    ) -> Dict[str, torch.Tensor]:
        """Encode the real frames of a batch with their sentences.

        Args:
            vis (Tensor): (N, d, h, w) projected visual maps of the real frames
                (``imgs[frame_mask]``, batch-major).
            vis_pos (Tensor): (N, d, h, w) 2-D position encoding.
            vis_mask (Tensor): (N, h, w) bool, True = padded position.
            text (Tensor): (B, L, d) sentence tokens.
            text_mask (Tensor): (B, L) bool, True = REAL token (the text encoder's mask).
            frame_mask (Tensor): (B, T) bool, real frames.
            extra_tokens (tuple, optional): see :meth:`frame_sequence`.

        Returns:
            dict: ``memory`` (N, S, d), ``memory_mask`` (N, S) bool True = padded,
            ``memory_pos`` (N, S, d), ``frame_tokens`` (N, d), ``video_tokens`` (B, d),
            ``feat_hw`` (h, w).
        """
        frame_mask = frame_mask.bool()
        video_of = frame_mask.nonzero(as_tuple=True)[0]
        tokens, mask, pos = self.frame_sequence(vis, vis_pos, vis_mask, text[video_of],
                                                ~text_mask.bool()[video_of], extra_tokens)
        memory, frame_tokens, video_tokens = self.encode(tokens, mask, pos, frame_mask)
        return dict(
            memory=memory,
            memory_mask=mask,
            memory_pos=pos,
            frame_tokens=frame_tokens,
            video_tokens=video_tokens,
            feat_hw=tuple(vis.shape[-2:]))
