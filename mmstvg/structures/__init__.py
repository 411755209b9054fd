from mmstvg.utils.lazy_import import lazy_attributes
from .span import (mask_to_positions, positions_to_span, span_hull, span_intersection,
                   span_overlaps, span_to_positions, temporal_iou)
from .tube import Tube, interpolate_boxes, merge_repeated_frames

# the data sample holds tensors: imported on first use, so that the numpy code (tubes, spans,
# the evaluation) does not import torch (issue 28)
__getattr__, __dir__ = lazy_attributes(__name__, globals(),
                                       {'STVGDataSample': '.stvg_data_sample'})

__all__ = [
    'STVGDataSample', 'mask_to_positions', 'positions_to_span', 'span_hull', 'span_intersection',
    'span_overlaps', 'span_to_positions', 'temporal_iou', 'Tube', 'interpolate_boxes',
    'merge_repeated_frames'
]
