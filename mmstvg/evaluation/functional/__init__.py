# Each component module adds its import line here.
from .box_iou import elementwise_box_iou, pairwise_box_iou
from .compact_submission import (COMPACT_FORMAT, CompactSubmission, is_compact_submission,
                                 load_compact_submission, save_compact_submission)
from .frame_sampling import tubedetr_clip, tubedetr_sample_frames
from .stvg_protocols import (aggregate_stvg_results, build_protocol, eval_query_dense,
                             eval_query_hcstvg_official, eval_query_sampled, evaluate_query,
                             evaluate_stvg, protocol_names, query_gt)
from .submission import (SUBMISSION_ENTRY_FORMAT, SUBMISSION_FRAME_BASE, InvalidSubmissionError,
                         check_submission_entry, check_tube_in_video, load_submission,
                         parse_submission, submission_entry_to_tube, submission_error_message,
                         submission_to_tubes, tube_to_submission_entry)
from .temporal import span_hull, span_intersection, temporal_iou
from .tube_interpolation import densify_tube, interpolate_tube_boxes, merge_tube_keyframes

__all__ = [
    'elementwise_box_iou', 'pairwise_box_iou', 'tubedetr_clip', 'tubedetr_sample_frames',
    'aggregate_stvg_results', 'build_protocol', 'eval_query_dense', 'eval_query_hcstvg_official',
    'eval_query_sampled', 'evaluate_query', 'evaluate_stvg', 'protocol_names', 'query_gt',
    'COMPACT_FORMAT', 'CompactSubmission', 'is_compact_submission', 'load_compact_submission',
    'save_compact_submission', 'load_submission', 'SUBMISSION_ENTRY_FORMAT',
    'SUBMISSION_FRAME_BASE', 'InvalidSubmissionError', 'check_submission_entry',
    'check_tube_in_video', 'parse_submission', 'submission_entry_to_tube',
    'submission_error_message', 'submission_to_tubes', 'tube_to_submission_entry', 'span_hull',
    'span_intersection', 'temporal_iou', 'densify_tube', 'interpolate_tube_boxes',
    'merge_tube_keyframes'
]
