"""DETR decoder layer that also returns its cross-attention map (STVGFormer §1.1, §1.3).

The static branch's decoder layers are MDETR/DETR post-norm layers (mmdet's
``DetrTransformerDecoderLayer``: self-attention, cross-attention to the cross-modal memory,
FFN, each followed by LayerNorm). The static-to-dynamic interaction (Eq. 2) needs the
cross-attention weights ``A^i`` of every decoder layer, which mmcv's ``MultiheadAttention``
computes but discards; this subclass keeps mmdet's sub-modules (same parameter names, so
MDETR weights map one to one) and only re-runs the cross-attention step asking for them.
"""
from typing import Optional, Tuple

import torch
from mmdet.models.layers import DetrTransformerDecoderLayer

from mmstvg.registry import MODELS


@MODELS.register_module()
class AttnDetrTransformerDecoderLayer(DetrTransformerDecoderLayer):
    """``DetrTransformerDecoderLayer`` returning ``(query, cross_attn_weights)``."""

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
        query = self.self_attn(query=query, key=query, value=query, query_pos=query_pos,
                               key_pos=query_pos)
        query = self.norms[0](query)
        ca = self.cross_attn
        q = query if query_pos is None else query + query_pos
        k = key if key_pos is None else key + key_pos
        out, attn = ca.attn(q.transpose(0, 1), k.transpose(0, 1), value.transpose(0, 1),
                            key_padding_mask=key_padding_mask, need_weights=True,
                            average_attn_weights=True)
        query = query + ca.dropout_layer(ca.proj_drop(out.transpose(0, 1)))
        query = self.norms[1](query)
        query = self.ffn(query)
        query = self.norms[2](query)
        return query, attn
