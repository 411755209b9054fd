from .parse_status import PARSE_FAILURES, PARSE_STATUSES
from .span import (mask_to_positions, positions_to_span, span_hull, span_intersection,
                   span_overlaps, span_to_positions, temporal_iou)
from .stvg_data_sample import STVGDataSample
from .time_grid import (frames_to_seconds, nearest_sampled_frames, seconds_to_frames,
                        seconds_to_span, span_to_seconds)
from .tube import Tube, interpolate_boxes, merge_repeated_frames

__all__ = [
    'PARSE_FAILURES', 'PARSE_STATUSES', 'STVGDataSample', 'mask_to_positions', 'positions_to_span',
    'span_hull', 'span_intersection', 'span_overlaps', 'span_to_positions', 'temporal_iou', 'Tube',
    'interpolate_boxes', 'merge_repeated_frames', 'frames_to_seconds', 'nearest_sampled_frames',
    'seconds_to_frames', 'seconds_to_span', 'span_to_seconds'
]
