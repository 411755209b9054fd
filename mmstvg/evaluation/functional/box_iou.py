"""Box IoU of ``xyxy`` boxes in absolute pixels (pure numpy).

Conventions (``docs/data_formats.md``): a box ``[x1, y1, x2, y2]`` covers the
continuous region ``x1 <= x < x2``, ``y1 <= y < y2``; its area is ``(x2 - x1) * (y2 - y1)``
with NO ``+ 1`` pixel term (as the HC-STVG challenge's ``eval_hcvg.py`` and TubeDETR's
``np_box_iou``). Degenerate boxes (``x2 <= x1`` or ``y2 <= y1``) have zero area; the IoU of
two boxes whose union is empty is 0.

Why not ``mmdet.structures.bbox.bbox_overlaps`` (issue 23.7): its box convention is the same
(mmdet 3.x has no ``+ 1`` term either: ``[0, 0, 1, 1]`` vs ``[0, 0, 2, 2]`` is 0.25 in both, and
on float64 inputs it agrees with this module to the last bit), but what it lacks is what the
evaluation needs:

- numpy: it takes torch tensors only, and importing it imports torch, mmcv and mmdet's
  structures; the evaluation code is pure numpy so that
  ``tools/analysis_tools/eval_submission.py`` need not import torch (issue 28);
- exact ratios: it floors the union at ``eps=1e-6``, so boxes of tiny area score
  ``inter / 1e-6`` (two identical ``1e-4``-pixel boxes: 0.01 instead of 1), and it computes in
  the tensors' dtype (float32 predictions: errors up to ~5e-7), where the published numbers
  this module reproduces are float64 ratios.
"""
import numpy as np


def _as_boxes(boxes, name: str) -> np.ndarray:
    boxes = np.asarray(boxes, dtype=np.float64)
    if boxes.ndim == 1 and boxes.shape[0] == 4:
        boxes = boxes[None]
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f'{name} must have shape (N, 4), got {boxes.shape}')
    return boxes


def _area(boxes: np.ndarray) -> np.ndarray:
    # np.maximum, not np.clip: the same values, without np.clip's per-call overhead
    return np.maximum(boxes[..., 2] - boxes[..., 0], 0) * \
        np.maximum(boxes[..., 3] - boxes[..., 1], 0)


def pairwise_box_iou(boxes1, boxes2) -> np.ndarray:
    """IoU of every box of ``boxes1`` with every box of ``boxes2``.

    Args:
        boxes1 (array-like): (N, 4) xyxy boxes.
        boxes2 (array-like): (M, 4) xyxy boxes.

    Returns:
        np.ndarray: (N, M) float64 IoU in [0, 1].
    """
    b1 = _as_boxes(boxes1, 'boxes1')
    b2 = _as_boxes(boxes2, 'boxes2')
    lt = np.maximum(b1[:, None, :2], b2[None, :, :2])
    rb = np.minimum(b1[:, None, 2:], b2[None, :, 2:])
    wh = np.maximum(rb - lt, 0)
    inter = wh[..., 0] * wh[..., 1]
    union = _area(b1)[:, None] + _area(b2)[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def elementwise_box_iou(boxes1, boxes2) -> np.ndarray:
    """IoU of ``boxes1[i]`` with ``boxes2[i]`` for every ``i``.

    Args:
        boxes1 (array-like): (N, 4) xyxy boxes.
        boxes2 (array-like): (N, 4) xyxy boxes.

    Returns:
        np.ndarray: (N,) float64 IoU in [0, 1].
    """
    b1 = _as_boxes(boxes1, 'boxes1')
    b2 = _as_boxes(boxes2, 'boxes2')
    if b1.shape[0] != b2.shape[0]:
        raise ValueError(f'elementwise_box_iou needs as many boxes on both sides, got '
                         f'{b1.shape[0]} and {b2.shape[0]}')
    lt = np.maximum(b1[:, :2], b2[:, :2])
    rb = np.minimum(b1[:, 2:], b2[:, 2:])
    wh = np.maximum(rb - lt, 0)
    inter = wh[:, 0] * wh[:, 1]
    union = _area(b1) + _area(b2) - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
