"""Boxes of a tube at arbitrary frames: the earlier names of :mod:`mmstvg.structures.tube`,
which implements them (merge of repeated frames, linear interpolation with held ends,
densification; pure numpy)."""
from typing import Tuple

import numpy as np

from mmstvg.structures.tube import Tube
from mmstvg.structures.tube import interpolate_boxes as interpolate_tube_boxes
from mmstvg.structures.tube import merge_repeated_frames as merge_tube_keyframes

__all__ = ['densify_tube', 'interpolate_tube_boxes', 'merge_tube_keyframes']


def densify_tube(span, frame_ids, bboxes) -> Tuple[np.ndarray, np.ndarray]:
    """``(frames, boxes)`` of :meth:`Tube.densify`: (end - start,) int64 frames
    ``start .. end - 1`` and their (end - start, 4) float64 boxes; both empty when the span
    is empty or the tube has no box."""
    dense = Tube(span, frame_ids, bboxes).densify()
    return dense.frame_ids, dense.bboxes
