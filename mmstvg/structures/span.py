"""Temporal spans: IoU, intersection, hull, and the map between sampled positions and spans.

One place for the span maths that the models (targets and decoding of the temporal heads,
the grounders' mapping back to original frames) and the evaluation (the STVG protocols) share,
as mmdet keeps its box maths in ``mmdet.structures.bbox``.

Conventions (``docs/data_flow.md``): a span ``(start, end)`` is half-open; in original frames
it holds the frames ``start, ..., end - 1``; in steps (sampled positions) step ``k`` covers
``[k, k + 1)``. An empty span (``end <= start``) holds nothing. Sampled positions given as a
run ``(i, j)`` are inclusive.
"""
import math
from typing import TYPE_CHECKING, Any, Sequence, Tuple

import numpy as np

if TYPE_CHECKING:  # torch is imported by the functions that take tensors (issue 28)
    import torch

ArrayLike = Any  # np.ndarray | torch.Tensor


def span_intersection(span1: Sequence[int], span2: Sequence[int]) -> Tuple[int, int]:
    """``[max(start), min(end))`` of two half-open spans (may be empty: end <= start)."""
    return max(int(span1[0]), int(span2[0])), min(int(span1[1]), int(span2[1]))


def span_hull(span1: Sequence[int], span2: Sequence[int]) -> Tuple[int, int]:
    """``[min(start), max(end))``: the smallest span holding both (the "union" of the
    STVG protocols, which counts the gap between two disjoint spans)."""
    return min(int(span1[0]), int(span2[0])), max(int(span1[1]), int(span2[1]))


def temporal_iou(pred_span: Sequence[int], gt_span: Sequence[int]) -> float:
    """tIoU = ``|pred ∩ gt| / |pred ∪ gt|`` of two half-open spans, in frames.

    When the spans overlap their union equals their hull, so this is TubeDETR's /
    STCAT's ``intersection / (len(gt) + len(pred) - intersection)``; disjoint spans score 0.

    mmaction2's ``pairwise_temporal_iou`` (``mmaction.evaluation.functional``) computes the
    same ratio on ``[start, end]`` segments, but it is kept out of the evaluation (issue 23.7):
    it returns float32 (``5/14`` off by ~1e-8, where the metric's numbers are float64), two
    empty spans give NaN (0 / 0, with a warning) instead of 0, it is an (n, m) matrix
    function, and importing it imports mmaction2 and with it torch, which the numpy
    evaluation path avoids (issue 28).

    Args:
        pred_span (Sequence[int]): predicted ``(start, end)``.
        gt_span (Sequence[int]): ground-truth ``(start, end)``.

    Returns:
        float: tIoU in [0, 1].
    """
    inter_start, inter_end = span_intersection(pred_span, gt_span)
    inter = inter_end - inter_start
    if inter <= 0:
        return 0.0
    len_pred = int(pred_span[1]) - int(pred_span[0])
    len_gt = int(gt_span[1]) - int(gt_span[0])
    return inter / float(len_pred + len_gt - inter)


def span_overlaps(spans1: ArrayLike, spans2: ArrayLike) -> ArrayLike:
    """Element-wise temporal IoU of batches of spans (numpy arrays or torch tensors).

    Args:
        spans1 (ndarray | Tensor): (..., 2) ``[start, end)``.
        spans2 (ndarray | Tensor): (..., 2), broadcastable to ``spans1``, same kind.

    Returns:
        ndarray | Tensor: (...) IoU in [0, 1] as floats; 0 where the union is empty.
    """
    if hasattr(spans1, 'is_floating_point'):  # a tensor, told without importing torch
        import torch
        xp = torch
        if not spans1.is_floating_point():
            spans1, spans2 = spans1.float(), spans2.float()
    else:
        xp = np
        spans1 = np.asarray(spans1, dtype=np.float64)
        spans2 = np.asarray(spans2, dtype=np.float64)
    inter = (xp.minimum(spans1[..., 1], spans2[..., 1]) -
             xp.maximum(spans1[..., 0], spans2[..., 0])).clip(min=0)
    union = (spans1[..., 1] - spans1[..., 0]) + (spans2[..., 1] - spans2[..., 0]) - inter
    return xp.where(union > 0, inter / union.clip(min=1e-6), xp.zeros_like(inter))


def mask_to_positions(in_span: 'torch.Tensor',
                      frame_mask: 'torch.Tensor') -> Tuple['torch.Tensor', ...]:
    """First and last in-span real position of every sample.

    Args:
        in_span (Tensor): (B, T) bool, position inside the span.
        frame_mask (Tensor): (B, T) bool, real positions.

    Returns:
        tuple: ``first`` (B,) long, ``last`` (B,) long (inclusive) and ``has`` (B,) bool;
        where ``has`` is False, ``first`` is T and ``last`` is -1.
    """
    import torch
    pos = in_span.bool() & frame_mask.bool()
    t = pos.shape[1]
    idx = torch.arange(t, device=pos.device)[None].expand_as(pos)
    first = torch.where(pos, idx, t).min(1).values
    last = torch.where(pos, idx, -1).max(1).values
    return first, last, pos.any(1)


def positions_to_span(start_pos: int, end_pos: int, frame_inds: Sequence[int],
                      clip: Sequence[int]) -> Tuple[int, int]:
    """Turn a run of sampled positions into a half-open span of original frames.

    Sampled frame ``k`` stands for the frames up to half-way to its neighbours (the
    first and last ones extend to the clip's edges), so a run of positions
    ``[start_pos, end_pos]`` (inclusive) covers
    ``[mid(k_{s-1}, k_s), mid(k_e, k_{e+1}))``.

    Args:
        start_pos (int): first sampled position of the run.
        end_pos (int): last sampled position of the run (inclusive).
        frame_inds (Sequence[int]): (N,) sorted original frame index of each position.
        clip (Sequence[int]): [start, end) of the clip.

    Returns:
        tuple[int, int]: the span [start, end) in original frames.
    """
    inds = [int(i) for i in frame_inds]
    n = len(inds)
    start = int(clip[0]) if start_pos == 0 else \
        (inds[start_pos - 1] + inds[start_pos] + 1) // 2
    end = int(clip[1]) if end_pos == n - 1 else \
        (inds[end_pos] + inds[end_pos + 1] + 1) // 2
    start = min(start, inds[start_pos])
    end = max(end, inds[end_pos] + 1)
    return start, end


def span_to_positions(start: float, end: float, valid_len: int) -> Tuple[int, int]:
    """Float span ``[start, end)`` in steps -> inclusive sampled positions ``(i, j)``.

    Positions are the steps whose centre ``k + 0.5`` lies in ``[start, end)`` (integer
    bounds give ``(start, end - 1)``); when none does, the step holding the span's midpoint.

    Args:
        start (float): span start in steps.
        end (float): span end in steps.
        valid_len (int): number of real steps (clamped to >= 1).

    Returns:
        tuple: ``(i, j)`` python ints, ``0 <= i <= j < valid_len``.
    """
    n = max(int(valid_len), 1)
    i = math.ceil(start - 0.5)
    j = math.ceil(end - 0.5) - 1
    i, j = max(i, 0), min(j, n - 1)
    if j < i:
        i = j = min(max(int(math.floor((start + end) / 2)), 0), n - 1)
    return i, j
