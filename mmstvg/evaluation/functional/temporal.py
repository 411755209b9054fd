"""Temporal IoU of half-open frame spans; the span maths lives in
:mod:`mmstvg.structures.span` (shared with the models), re-exported here for the protocols
and for code that imports it from ``mmstvg.evaluation.functional``."""
from mmstvg.structures.span import span_hull, span_intersection, temporal_iou

__all__ = ['span_hull', 'span_intersection', 'temporal_iou']
