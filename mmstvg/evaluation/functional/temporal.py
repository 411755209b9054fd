"""Temporal IoU of half-open frame spans (pure numpy / python).

A span ``(start, end)`` holds the frames ``start, ..., end - 1`` (0-based original frames,
half-open as everywhere in mmstvg). An empty span (``end <= start``) has no frame.
"""
from typing import Sequence, Tuple


def span_intersection(span1: Sequence[int], span2: Sequence[int]) -> Tuple[int, int]:
    """``[max(start), min(end))`` of two half-open spans (may be empty: end <= start)."""
    return max(int(span1[0]), int(span2[0])), min(int(span1[1]), int(span2[1]))


def span_hull(span1: Sequence[int], span2: Sequence[int]) -> Tuple[int, int]:
    """``[min(start), max(end))``: the smallest span holding both (the "union" of the
    STVG protocols, which counts the gap between two disjoint spans)."""
    return min(int(span1[0]), int(span2[0])), max(int(span1[1]), int(span2[1]))


def temporal_iou(pred_span: Sequence[int], gt_span: Sequence[int]) -> float:
    """tIoU = |pred ∩ gt| / |pred ∪ gt| of two half-open spans, in frames.

    When the spans overlap their union equals their hull, so this is TubeDETR's /
    STCAT's ``intersection / (len(gt) + len(pred) - intersection)``; disjoint spans score 0.

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
