"""DETR decoder layer that also returns its cross-attention map (STVGFormer §1.1, §1.3).

The static branch's decoder layers are MDETR/DETR post-norm layers (mmdet's
``DetrTransformerDecoderLayer``: self-attention, cross-attention to the cross-modal memory,
FFN, each followed by LayerNorm). The static-to-dynamic interaction (Eq. 2) needs the
cross-attention weights ``A^i`` of every decoder layer, which mmcv's ``MultiheadAttention``
computes but discards; this subclass builds its attentions as
:class:`~mmstvg.models.layers.FusibleMultiheadAttention` (same parameter names, so MDETR
weights map one to one), whose ``attn_impl='fused'`` returns the head-averaged weights without
materialising the per-head score matrix.
"""
from typing import Optional, Tuple

import torch
from mmcv.cnn import build_norm_layer
from mmcv.cnn.bricks.transformer import FFN
from mmdet.models.layers import DetrTransformerDecoderLayer
from torch.nn import ModuleList

from mmstvg.registry import MODELS
from .fusible_attention import FusibleMultiheadAttention


@MODELS.register_module()
class AttnDetrTransformerDecoderLayer(DetrTransformerDecoderLayer):
    """``DetrTransformerDecoderLayer`` returning ``(query, cross_attn_weights)``; the
    attention configs may carry ``attn_impl``."""

    def _init_layers(self) -> None:
        self.self_attn = FusibleMultiheadAttention(**self.self_attn_cfg)
        self.cross_attn = FusibleMultiheadAttention(**self.cross_attn_cfg)
        self.embed_dims = self.self_attn.embed_dims
        self.ffn = FFN(**self.ffn_cfg)
        self.norms = ModuleList(
            build_norm_layer(self.norm_cfg, self.embed_dims)[1] for _ in range(3))

    def forward(self,
                query: torch.Tensor,
                key: torch.Tensor,
                value: Optional[torch.Tensor] = None,
                query_pos: Optional[torch.Tensor] = None,
                key_pos: Optional[torch.Tensor] = None,
                key_padding_mask: Optional[torch.Tensor] = None,
                **kwargs) -> Tuple[torch.Tensor, torch.Tensor]:
        """Forward.

        Args:
            query (Tensor): (M, Q, C) queries.
            key (Tensor): (M, K, C) memory.
            value (Tensor, optional): (M, K, C); defaults to ``key``.
            query_pos (Tensor, optional): (M, Q, C) query positional embedding.
            key_pos (Tensor, optional): (M, K, C) memory positional embedding.
            key_padding_mask (Tensor, optional): (M, K) bool, True = padded memory entry.

        Returns:
            tuple: ``query`` (M, Q, C) and ``attn`` (M, Q, K), the cross-attention weights
            averaged over heads (each row sums to 1 over the unmasked keys).
        """
        value = key if value is None else value
        query = self.self_attn(
            query=query, key=query, value=query, query_pos=query_pos, key_pos=query_pos)
        query = self.norms[0](query)
        query, attn = self.cross_attn(
            query=query,
            key=key,
            value=value,
            query_pos=query_pos,
            key_pos=key_pos,
            key_padding_mask=key_padding_mask,
            need_weights=True)
        query = self.norms[1](query)
        query = self.ffn(query)
        query = self.norms[2](query)
        return query, attn
