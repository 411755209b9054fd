"""The GT span of a sample in sampled positions, shared by the temporal heads."""
from typing import Tuple

import torch


def gt_span_positions(in_span: torch.Tensor,
                      frame_mask: torch.Tensor) -> Tuple[torch.Tensor, ...]:
    """First and last in-span real position of every sample.

    Args:
        in_span (Tensor): (B, T) bool, position inside the GT span.
        frame_mask (Tensor): (B, T) bool, real positions.

    Returns:
        tuple: ``first`` (B,) long, ``last`` (B,) long (inclusive) and ``has`` (B,) bool;
        where ``has`` is False, ``first`` is T and ``last`` is -1.
    """
    pos = in_span.bool() & frame_mask.bool()
    t = pos.shape[1]
    idx = torch.arange(t, device=pos.device)[None].expand_as(pos)
    first = torch.where(pos, idx, t).min(1).values
    last = torch.where(pos, idx, -1).max(1).values
    return first, last, pos.any(1)
