"""Boxes of a predicted tube at arbitrary frames (pure numpy).

A predicted tube carries boxes only at some frames (``frame_ids``, e.g. the frames the model
sampled). Its box at another frame ``f`` is the linear interpolation, coordinate by
coordinate, between the two predicted frames around ``f``; before the first / after the last
predicted frame the nearest predicted box is held (``np.interp`` semantics). At a predicted
frame the box is returned unchanged. Repeated frame ids (multi-pass sampling can repeat a
frame) are merged by averaging their boxes.
"""
from typing import Tuple

import numpy as np


def merge_tube_keyframes(frame_ids, bboxes) -> Tuple[np.ndarray, np.ndarray]:
    """Sort the predicted frames and average the boxes of repeated frame ids.

    Args:
        frame_ids (array-like): (K,) original frame indices.
        bboxes (array-like): (K, 4) xyxy boxes.

    Returns:
        tuple[np.ndarray, np.ndarray]: (K',) sorted unique int64 frame ids and (K', 4)
        float64 boxes.
    """
    frame_ids = np.asarray(frame_ids, dtype=np.int64).reshape(-1)
    bboxes = np.asarray(bboxes, dtype=np.float64).reshape(-1, 4)
    if frame_ids.shape[0] != bboxes.shape[0]:
        raise ValueError(f'a tube needs one box per frame id, got {frame_ids.shape[0]} '
                         f'frame ids and {bboxes.shape[0]} boxes')
    uniq, inverse, counts = np.unique(frame_ids, return_inverse=True, return_counts=True)
    if uniq.shape[0] == frame_ids.shape[0]:
        order = np.argsort(frame_ids, kind='stable')
        return frame_ids[order], bboxes[order]
    summed = np.zeros((uniq.shape[0], 4), dtype=np.float64)
    np.add.at(summed, inverse.reshape(-1), bboxes)
    return uniq, summed / counts[:, None]


def interpolate_tube_boxes(frame_ids, bboxes, query_frames) -> np.ndarray:
    """Boxes of a tube at ``query_frames`` (linear interpolation, ends held).

    Args:
        frame_ids (array-like): (K,) frames carrying a predicted box (K >= 1).
        bboxes (array-like): (K, 4) xyxy boxes at those frames.
        query_frames (array-like): (Q,) frames where boxes are wanted.

    Returns:
        np.ndarray: (Q, 4) float64 xyxy boxes.
    """
    keys, boxes = merge_tube_keyframes(frame_ids, bboxes)
    query = np.asarray(query_frames, dtype=np.float64).reshape(-1)
    if keys.shape[0] == 0:
        raise ValueError('cannot interpolate a tube without any box')
    out = np.empty((query.shape[0], 4), dtype=np.float64)
    for c in range(4):
        out[:, c] = np.interp(query, keys.astype(np.float64), boxes[:, c])
    return out


def densify_tube(span, frame_ids, bboxes) -> Tuple[np.ndarray, np.ndarray]:
    """One box for every frame of the predicted span (what a submission file holds).

    Args:
        span (Sequence[int]): predicted half-open ``(start, end)``.
        frame_ids (array-like): (K,) frames carrying a predicted box.
        bboxes (array-like): (K, 4) xyxy boxes.

    Returns:
        tuple[np.ndarray, np.ndarray]: (end - start,) int64 frames ``start .. end - 1`` and
        their (end - start, 4) float64 boxes; both empty when the span is empty or the tube
        has no box.
    """
    start, end = int(span[0]), int(span[1])
    frames = np.arange(start, max(start, end), dtype=np.int64)
    if frames.size == 0 or np.asarray(frame_ids).size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 4), dtype=np.float64)
    return frames, interpolate_tube_boxes(frame_ids, bboxes, frames)
