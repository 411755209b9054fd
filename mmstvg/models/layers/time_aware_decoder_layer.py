"""One layer of TubeDETR's space-time decoder (Yang et al., CVPR 2022, §3.2, Fig. 3).

Each frame ``t`` of a video has one query. A layer (post-norm, as DETR) applies

1. temporal self-attention: the T frame queries of a video attend to each other (padded
   frames are masked as keys); its head-averaged weights (B, T, T) feed the guided attention
   loss (:class:`~mmstvg.models.losses.GuidedAttentionLoss`);
2. time-aligned cross-attention: the query of frame ``t`` attends to the video-text memory
   of frame ``t`` only (its HW visual tokens and the L text tokens);
3. a feed-forward network,

each followed by dropout, the residual connection and a LayerNorm. The query's positional
embedding (the learned query embedding plus the time encoding of frame ``t``) is added to the
queries and keys of the self-attention and to the queries of the cross-attention; the
memory's (spatial sine encoding, zero on text tokens) to the cross-attention keys.

The layer is mmdet's DETR decoder layer with the self-attention taken over time instead of
over the queries of a frame, so the module names are those of
:class:`~mmstvg.models.layers.AttnDetrTransformerDecoderLayer` (``self_attn.attn``,
``cross_attn.attn``, ``ffn.layers.{0.0,1}``, ``norms.{0,1,2}``) and TubeDETR's decoder weights
map one to one, as MDETR's do. The temporal self-attention calls PyTorch's
``nn.MultiheadAttention`` itself, so its returned weights are those of the released code in
training too (after attention dropout); the cross-attention kernel follows ``attn_impl``.
"""
from typing import Optional, Tuple

import torch

from mmstvg.registry import MODELS
from .attn_decoder_layer import AttnDetrTransformerDecoderLayer


@MODELS.register_module()
class TimeAwareDecoderLayer(AttnDetrTransformerDecoderLayer):
    """Space-time decoder layer (module docstring). Configs as mmdet's
    ``DetrTransformerDecoderLayer`` (``self_attn_cfg``, ``cross_attn_cfg`` with
    ``batch_first=True``, ``ffn_cfg``)."""

    def forward(
        self,
        query: torch.Tensor,
        query_pos: torch.Tensor,
        memory: torch.Tensor,
        memory_pos: Optional[torch.Tensor] = None,
        memory_mask: Optional[torch.Tensor] = None,
        query_padding_mask: Optional[torch.Tensor] = None,
        need_cross_weights: bool = False
    ) -> Tuple[torch.Tensor, torch.Tensor, Optional[torch.Tensor]]:
        """Forward.

        Args:
            query (Tensor): (B, T, C) frame queries.
            query_pos (Tensor): (B, T, C) their positional embedding.
            memory (Tensor): (B * T, S, C) video-text memory of every frame (row
                ``b * T + t``).
            memory_pos (Tensor, optional): (B * T, S, C) its positional embedding.
            memory_mask (Tensor, optional): (B * T, S) bool, True = padded memory entry.
            query_padding_mask (Tensor, optional): (B, T) bool, True = padded frame.
            need_cross_weights (bool): also return the cross-attention weights.

        Returns:
            tuple: ``query`` (B, T, C), the temporal self-attention weights (B, T, T)
            (averaged over heads) and the cross-attention weights (B * T, S) or None.
        """
        b, t, c = query.shape
        # 1. temporal self-attention (nn.MultiheadAttention is sequence-first)
        q = (query + query_pos).transpose(0, 1)
        out, self_weights = self.self_attn.attn(
            q, q, query.transpose(0, 1), key_padding_mask=query_padding_mask, need_weights=True)
        query = self.norms[0](query + self.self_attn.proj_drop(out.transpose(0, 1)))
        # 2. time-aligned cross-attention: one query per frame, over that frame's memory
        out = self.cross_attn(
            query=query.reshape(b * t, 1, c),
            key=memory,
            value=memory,
            query_pos=query_pos.reshape(b * t, 1, c),
            key_pos=memory_pos,
            key_padding_mask=memory_mask,
            need_weights=need_cross_weights)
        out, cross_weights = out if need_cross_weights else (out, None)
        query = self.norms[1](out).view(b, t, c)
        # 3. FFN (residual inside mmcv's FFN)
        query = self.norms[2](self.ffn(query))
        if cross_weights is not None:
            cross_weights = cross_weights[:, 0]
        return query, self_weights, cross_weights
