import importlib

from .parse_status import PARSE_FAILURES, PARSE_STATUSES
from .span import (mask_to_positions, positions_to_span, span_hull, span_intersection,
                   span_overlaps, span_to_positions, temporal_iou)
from .time_grid import (frames_to_seconds, nearest_sampled_frames, seconds_to_frames,
                        seconds_to_span, span_to_seconds)
from .tube import Tube, interpolate_boxes, merge_repeated_frames


def __getattr__(name: str):
    """``STVGDataSample`` is imported on first use (PEP 562): the data sample holds tensors,
    and the numpy code (tubes, spans, the evaluation) does not import torch (issue 28). This
    package imports nothing of mmstvg, hence not ``mmstvg.utils.lazy_import``."""
    if name == 'STVGDataSample':
        value = importlib.import_module('.stvg_data_sample', __name__).STVGDataSample
        globals()[name] = value
        return value
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def __dir__():
    return sorted(set(globals()) | {'STVGDataSample'})


__all__ = [
    'PARSE_FAILURES', 'PARSE_STATUSES', 'STVGDataSample', 'mask_to_positions', 'positions_to_span',
    'span_hull', 'span_intersection', 'span_overlaps', 'span_to_positions', 'temporal_iou', 'Tube',
    'interpolate_boxes', 'merge_repeated_frames', 'frames_to_seconds', 'nearest_sampled_frames',
    'seconds_to_frames', 'seconds_to_span', 'span_to_seconds'
]
