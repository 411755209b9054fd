"""Attention entry points with one switch, ``impl = 'naive' | 'sdpa' | 'fused'``.

- ``'naive'``: the materialised reference (:mod:`mmstvg.ops.reference`) at the working
  precision: ``softmax(Q K^T) V`` with the ``(B, H, Lq, Lk)`` score matrix in memory.
- ``'sdpa'``: PyTorch's ``scaled_dot_product_attention`` (flash / memory-efficient / math
  backends). It cannot return attention weights: a call that needs them (the static decoder's
  cross-attention, for the SDIB) runs the naive path.
- ``'fused'``: the Triton kernels (:mod:`mmstvg.ops.triton_attention`), which also return the
  head-averaged weights without writing the score matrix. Without a CUDA tensor or Triton (and
  without ``TRITON_INTERPRET=1``), or with attention dropout in training, it falls back to
  ``'sdpa'`` with a one-time warning.

This package imports torch only (Triton lazily), so it can be benchmarked on a bare GPU
machine.
"""
import os
import warnings
from typing import Optional, Tuple

import torch
import torch.nn.functional as F

from .reference import attention_ref, pooled_attention_ref

ATTN_IMPLS = ('naive', 'sdpa', 'fused')
_WARNED = set()


def check_attn_impl(impl: str) -> str:
    """Return ``impl`` if valid, else raise a ValueError listing the choices."""
    if impl not in ATTN_IMPLS:
        raise ValueError(f'attn_impl must be one of {ATTN_IMPLS}, got {impl!r}')
    return impl


def triton_interpret() -> bool:
    """Whether Triton runs its CPU interpreter (``TRITON_INTERPRET=1``)."""
    return os.environ.get('TRITON_INTERPRET', '0') not in ('', '0')


def fused_available(t: torch.Tensor) -> bool:
    """Whether the Triton kernels can run on tensor ``t`` (CUDA + Triton, or the
    interpreter on CPU)."""
    if not (t.is_cuda or (t.device.type == 'cpu' and triton_interpret())):
        return False
    try:
        import triton  # noqa: F401
    except ImportError:
        return False
    return True


def _warn_once(key: str, msg: str) -> None:
    if key not in _WARNED:
        _WARNED.add(key)
        warnings.warn(msg, RuntimeWarning, stacklevel=3)


def _use_fused(t: torch.Tensor, dropout_p: float) -> bool:
    if dropout_p > 0:
        _warn_once(
            'dropout', "attn_impl='fused' does not implement attention dropout; "
            "falling back to 'sdpa' for modules with attn_drop > 0")
        return False
    if not fused_available(t):
        _warn_once(
            'device', "attn_impl='fused' needs a CUDA device and Triton (or "
            f"TRITON_INTERPRET=1 on CPU); got a {t.device.type} tensor: falling back "
            "to 'sdpa' (this warning is shown once)")
        return False
    return True


def attention(q: torch.Tensor,
              k: torch.Tensor,
              v: torch.Tensor,
              key_padding_mask: Optional[torch.Tensor] = None,
              impl: str = 'sdpa',
              need_weights: bool = False,
              dropout_p: float = 0.0,
              scale: Optional[float] = None) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """Multi-head scaled dot-product attention.

    Args:
        q (Tensor): (B, H, Lq, D) queries.
        k (Tensor): (B, H, Lk, D) keys.
        v (Tensor): (B, H, Lk, D) values.
        key_padding_mask (Tensor, optional): (B, Lk) bool, True = padded key.
        impl (str): 'naive' | 'sdpa' | 'fused'.
        need_weights (bool): also return the probabilities averaged over heads.
        dropout_p (float): attention dropout (pass 0 in eval).
        scale (float, optional): score scale; defaults to ``D ** -0.5``.

    Returns:
        tuple: ``out`` (B, H, Lq, D) and ``weights`` (B, Lq, Lk) or None.
    """
    check_attn_impl(impl)
    if impl == 'fused' and _use_fused(q, dropout_p):
        from .triton_attention import flash_attention
        return flash_attention(q, k, v, key_padding_mask, scale, return_probs=need_weights)
    if impl == 'naive' or need_weights:
        return attention_ref(q, k, v, key_padding_mask, scale, need_weights, dropout_p)
    mask = None if key_padding_mask is None else ~key_padding_mask[:, None, None, :].bool()
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p, scale=scale)
    return out, None


def pooled_attention(q: torch.Tensor,
                     x: torch.Tensor,
                     spatial_mask: Optional[torch.Tensor] = None,
                     key_padding_mask: Optional[torch.Tensor] = None,
                     scale: float = 1.0,
                     impl: str = 'fused') -> torch.Tensor:
    """Attention over spatially mean-pooled frames; see
    :func:`mmstvg.ops.reference.pooled_attention_ref` for shapes. ``impl='fused'`` runs the
    Triton kernel (falls back like :func:`attention`), anything else the reference."""
    check_attn_impl(impl)
    if impl == 'fused' and _use_fused(q, 0.0):
        from .triton_attention import pooled_attention as fused
        return fused(q, x, spatial_mask, key_padding_mask, scale)
    return pooled_attention_ref(q, x, spatial_mask, key_padding_mask, scale)
