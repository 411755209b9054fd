from .span import (mask_to_positions, positions_to_span, span_hull, span_intersection,
                   span_overlaps, span_to_positions, temporal_iou)
from .stvg_data_sample import STVGDataSample

__all__ = [
    'STVGDataSample', 'mask_to_positions', 'positions_to_span', 'span_hull', 'span_intersection',
    'span_overlaps', 'span_to_positions', 'temporal_iou'
]
