from .query_box_head import QueryBoxHead
from .span_score_head import SpanScoreHead, best_contiguous_run
from .tan2d_head import TAN2DHead
from .tube_box_head import TubeBoxHead

__all__ = ['QueryBoxHead', 'SpanScoreHead', 'TAN2DHead', 'TubeBoxHead', 'best_contiguous_run']
