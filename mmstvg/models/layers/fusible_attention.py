"""mmcv ``MultiheadAttention`` whose attention kernel is chosen by ``attn_impl``.

The parameters stay those of the wrapped ``nn.MultiheadAttention`` (``attn.in_proj_weight``,
``attn.in_proj_bias``, ``attn.out_proj``), so checkpoints (MDETR conversions included) load
unchanged; only the score/softmax/weighted-sum step is routed through
:func:`mmstvg.ops.attention`: ``'naive'`` (materialised), ``'sdpa'`` (PyTorch's fused
``scaled_dot_product_attention``) or ``'fused'`` (the Triton kernels, which can also return
head-averaged attention weights without materialising the score matrix).
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn.bricks.transformer import MultiheadAttention

from mmstvg.ops import attention, check_attn_impl
from mmstvg.registry import MODELS


def project_heads(mha: nn.MultiheadAttention, x: torch.Tensor, which: int) -> torch.Tensor:
    """Apply the ``which``-th (0 = query, 1 = key, 2 = value) input projection of ``mha`` to
    ``x`` (B, L, C) and split heads -> (B, H, L, D)."""
    c = mha.embed_dim
    bias = None if mha.in_proj_bias is None else mha.in_proj_bias[which * c:(which + 1) * c]
    y = F.linear(x, mha.in_proj_weight[which * c:(which + 1) * c], bias)
    b, n, _ = y.shape
    return y.view(b, n, mha.num_heads, c // mha.num_heads).transpose(1, 2)


def multihead_attention(mha: nn.MultiheadAttention,
                        query: torch.Tensor,
                        key: torch.Tensor,
                        value: torch.Tensor,
                        key_padding_mask: Optional[torch.Tensor] = None,
                        attn_impl: str = 'sdpa',
                        need_weights: bool = False) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """``nn.MultiheadAttention`` forward (batch first, no ``attn_mask``) with a selectable
    attention kernel.

    Args:
        mha (nn.MultiheadAttention): supplies the projections (same embed dim for q, k, v).
        query (Tensor): (B, Lq, C).
        key (Tensor): (B, Lk, C).
        value (Tensor): (B, Lk, C).
        key_padding_mask (Tensor, optional): (B, Lk) bool, True = padded key.
        attn_impl (str): 'naive' | 'sdpa' | 'fused'.
        need_weights (bool): also return the head-averaged weights (B, Lq, Lk).

    Returns:
        tuple: output (B, Lq, C) after ``out_proj`` and the weights or None.
    """
    if not mha._qkv_same_embed_dim or mha.bias_k is not None or mha.add_zero_attn:
        raise NotImplementedError('multihead_attention supports nn.MultiheadAttention with '
                                  'equal q/k/v dims, no bias_k/bias_v, no add_zero_attn')
    q = project_heads(mha, query, 0)
    k = project_heads(mha, key, 1)
    v = project_heads(mha, value, 2)
    dropout_p = mha.dropout if mha.training else 0.0
    out, weights = attention(
        q, k, v, key_padding_mask, impl=attn_impl, need_weights=need_weights, dropout_p=dropout_p)
    b, _, lq, _ = out.shape
    out = mha.out_proj(out.transpose(1, 2).reshape(b, lq, mha.embed_dim))
    return out, weights


@MODELS.register_module()
class FusibleMultiheadAttention(MultiheadAttention):
    """mmcv ``MultiheadAttention`` (batch first) with ``attn_impl``.

    Args:
        *args: as mmcv's ``MultiheadAttention``.
        **kwargs: as mmcv's ``MultiheadAttention`` (``batch_first`` must be True).
        attn_impl (str): 'naive' | 'sdpa' | 'fused'. Defaults to 'sdpa'.
    """

    def __init__(self, *args, attn_impl: str = 'sdpa', **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.batch_first:
            raise ValueError('FusibleMultiheadAttention needs batch_first=True')
        self.attn_impl = check_attn_impl(attn_impl)

    def forward(self,
                query: torch.Tensor,
                key: Optional[torch.Tensor] = None,
                value: Optional[torch.Tensor] = None,
                identity: Optional[torch.Tensor] = None,
                query_pos: Optional[torch.Tensor] = None,
                key_pos: Optional[torch.Tensor] = None,
                attn_mask: Optional[torch.Tensor] = None,
                key_padding_mask: Optional[torch.Tensor] = None,
                need_weights: bool = False,
                **kwargs):
        """As mmcv's ``MultiheadAttention.forward`` (residual included); shapes (B, L, C).

        Returns:
            Tensor: (B, Lq, C); with ``need_weights`` a tuple with the head-averaged weights
            (B, Lq, Lk) as second item.
        """
        if attn_mask is not None:
            raise NotImplementedError('FusibleMultiheadAttention supports key_padding_mask '
                                      'only (no attn_mask)')
        key = query if key is None else key
        value = key if value is None else value
        identity = query if identity is None else identity
        if key_pos is None and query_pos is not None and query_pos.shape == key.shape:
            key_pos = query_pos
        if query_pos is not None:
            query = query + query_pos
        if key_pos is not None:
            key = key + key_pos
        out, weights = multihead_attention(self.attn, query, key, value, key_padding_mask,
                                           self.attn_impl, need_weights)
        out = identity + self.dropout_layer(self.proj_drop(out))
        return (out, weights) if need_weights else out


def set_attn_impl(model: nn.Module, attn_impl: str) -> int:
    """Set ``attn_impl`` on every sub-module of ``model`` that has one; returns how many."""
    check_attn_impl(attn_impl)
    count = 0
    for m in model.modules():
        if hasattr(m, 'attn_impl'):
            m.attn_impl = attn_impl
            count += 1
    return count
