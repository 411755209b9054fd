"""Fused attention ops (Triton GPU kernels with plain-PyTorch references); imports torch
only."""
from .functional import (ATTN_IMPLS, attention, check_attn_impl, fused_available, pooled_attention,
                         triton_interpret)
from .reference import attention_ref, masked_spatial_mean, pooled_attention_ref

__all__ = [
    'ATTN_IMPLS', 'attention', 'attention_ref', 'check_attn_impl', 'fused_available',
    'masked_spatial_mean', 'pooled_attention', 'pooled_attention_ref', 'triton_interpret'
]
