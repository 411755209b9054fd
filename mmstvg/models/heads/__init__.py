from .span_score_head import SpanScoreHead, best_contiguous_run
from .tube_box_head import TubeBoxHead

__all__ = ['SpanScoreHead', 'TubeBoxHead', 'best_contiguous_run']
