from .base_grounding_head import BaseGroundingHead
from .base_spatial_head import BaseSpatialHead
from .base_temporal_head import BaseTemporalHead
from .gaussian_heatmap_head import GaussianHeatmapHead
from .query_box_head import QueryBoxHead
from .span_score_head import SpanScoreHead, best_contiguous_run
from .start_end_head import StartEndHead
from .tan2d_head import TAN2DHead
from .temporal_location_head import TemporalLocationHead
from .tube_box_head import TubeBoxHead

__all__ = [
    'BaseGroundingHead', 'BaseSpatialHead', 'BaseTemporalHead', 'GaussianHeatmapHead',
    'QueryBoxHead', 'SpanScoreHead', 'StartEndHead', 'TAN2DHead', 'TemporalLocationHead',
    'TubeBoxHead', 'best_contiguous_run'
]
