"""Plain-PyTorch reference implementations of the fused attention ops.

They define the semantics the Triton kernels (:mod:`mmstvg.ops.triton_attention`) must match
and are the fallback where no GPU/Triton is present. They materialise the full score matrix
``(B, H, Lq, Lk)``; tests run them in float64 as ground truth.

Masks follow ``nn.MultiheadAttention``: ``key_padding_mask`` (B, Lk) bool, True = ignore the
key. A query whose keys are all masked gets a zero output and zero probabilities (and zero
gradients) instead of the NaN of a softmax over nothing.
"""
from typing import Optional, Tuple

import torch


def _masked_softmax(scores: torch.Tensor,
                    key_padding_mask: Optional[torch.Tensor]) -> torch.Tensor:
    """Softmax over the last dim of ``scores`` (B, H, Lq, Lk) with keys masked by
    ``key_padding_mask`` (B, Lk); fully masked rows give zeros (finite gradients)."""
    if key_padding_mask is None:
        return scores.softmax(-1)
    pad = key_padding_mask[:, None, None, :].to(torch.bool)
    empty = pad.all(-1, keepdim=True)  # (B, 1, 1, 1)
    # rows with no valid key: softmax over zeros (finite), then zeroed
    scores = scores.masked_fill(pad & ~empty, float('-inf')).masked_fill(empty, 0.0)
    return scores.softmax(-1) * (~empty).to(scores.dtype)


def attention_ref(q: torch.Tensor,
                  k: torch.Tensor,
                  v: torch.Tensor,
                  key_padding_mask: Optional[torch.Tensor] = None,
                  scale: Optional[float] = None,
                  return_probs: bool = False,
                  dropout_p: float = 0.0) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """Multi-head scaled dot-product attention, materialised.

    Args:
        q (Tensor): (B, H, Lq, D) queries.
        k (Tensor): (B, H, Lk, D) keys.
        v (Tensor): (B, H, Lk, D) values.
        key_padding_mask (Tensor, optional): (B, Lk) bool, True = padded key.
        scale (float, optional): score scale; defaults to ``D ** -0.5``.
        return_probs (bool): also return the probabilities averaged over heads.
        dropout_p (float): dropout on the probabilities applied to the values (the returned
            probabilities are the ones before dropout, as ``nn.MultiheadAttention``).

    Returns:
        tuple: ``out`` (B, H, Lq, D) and ``probs`` (B, Lq, Lk) or None.
    """
    scale = q.shape[-1]**-0.5 if scale is None else scale
    probs = _masked_softmax(torch.matmul(q, k.transpose(-1, -2)) * scale, key_padding_mask)
    p = torch.dropout(probs, dropout_p, True) if dropout_p > 0 else probs
    out = torch.matmul(p, v)
    return out, (probs.mean(1) if return_probs else None)


def masked_spatial_mean(x: torch.Tensor, spatial_mask: Optional[torch.Tensor]) -> torch.Tensor:
    """Mean of ``x`` (B, T, S, C) over its unpadded spatial positions -> (B, T, C).

    ``spatial_mask`` (B, S) bool, True = padded position; a frame with every position padded
    pools to zeros.
    """
    if spatial_mask is None:
        return x.mean(2)
    w = (~spatial_mask.to(torch.bool)).to(x.dtype)[:, None, :, None]
    return (x * w).sum(2) / w.sum(2).clamp(min=1.0)


def pooled_attention_ref(q: torch.Tensor,
                         x: torch.Tensor,
                         spatial_mask: Optional[torch.Tensor] = None,
                         key_padding_mask: Optional[torch.Tensor] = None,
                         scale: float = 1.0) -> torch.Tensor:
    """Attention of queries over the spatially mean-pooled frames (STCMT, Eq. 1, text->video).

    Keys and values are both ``pool(x_t)``, the mean of frame ``t``'s unpadded positions; the
    per-head key/value projections are folded into the queries and the output by the caller
    (projection commutes with the mean, see :class:`mmstvg.models.layers.STCMTLayer`).

    Args:
        q (Tensor): (B, H, L, C) queries in the feature space of ``x``.
        x (Tensor): (B, T, S, C) visual features.
        spatial_mask (Tensor, optional): (B, S) bool, True = padded position.
        key_padding_mask (Tensor, optional): (B, T) bool, True = padded frame.
        scale (float): score scale.

    Returns:
        Tensor: (B, H, L, C) ``sum_t softmax_t(scale * q . pool(x_t)) pool(x_t)``.
    """
    pooled = masked_spatial_mean(x, spatial_mask)  # (B, T, C)
    scores = torch.einsum('bhlc,btc->bhlt', q, pooled) * scale
    probs = _masked_softmax(scores, key_padding_mask)
    return torch.einsum('bhlt,btc->bhlc', probs, pooled)
