"""Centroid of cross-attention maps over a feature map: where a query looks (the reference
point of the ``box_reference='attention'`` training aids of STVGFormer, TubeDETR and STCAT)."""
from typing import Optional

import torch


def attention_centroid(attn: torch.Tensor,
                       img_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Centroid of cross-attention maps.

    Args:
        attn (Tensor): (M, h, w) attention weights over the visual positions.
        img_mask (Tensor, optional): (M, h, w) bool, True = padding.

    Returns:
        Tensor: (M, 2) normalised (x, y) in the unpadded part of the frame.
    """
    m, h, w = attn.shape
    a = attn / attn.flatten(1).sum(1).clamp(min=1e-6)[:, None, None]
    ys = (torch.arange(h, device=attn.device, dtype=attn.dtype) + 0.5)[None]
    xs = (torch.arange(w, device=attn.device, dtype=attn.dtype) + 0.5)[None]
    if img_mask is None:
        valid_h = attn.new_full((m, 1), float(h))
        valid_w = attn.new_full((m, 1), float(w))
    else:
        valid_h = (~img_mask[:, :, 0]).sum(1, keepdim=True).to(attn.dtype).clamp(min=1)
        valid_w = (~img_mask[:, 0, :]).sum(1, keepdim=True).to(attn.dtype).clamp(min=1)
    cx = (a.sum(1) * xs).sum(1, keepdim=True) / valid_w
    cy = (a.sum(2) * ys).sum(1, keepdim=True) / valid_h
    return torch.cat([cx, cy], dim=1).clamp(0, 1)
