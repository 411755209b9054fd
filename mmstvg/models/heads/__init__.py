from .base_grounding_head import BaseGroundingHead
from .base_spatial_head import BaseSpatialHead
from .base_temporal_head import BaseTemporalHead
from .gaussian_heatmap_head import GaussianHeatmapHead
from .query_box_head import QueryBoxHead
from .span_score_head import SpanScoreHead, best_contiguous_run
from .start_end_head import StartEndHead
from .stcat_box_head import AnchorBoxHead
from .stcat_temporal_head import ActionnessStartEndHead
from .tan2d_head import TAN2DHead
from .temporal_location_head import TemporalLocationHead
from .tube_box_head import TubeBoxHead

__all__ = [
    'ActionnessStartEndHead', 'AnchorBoxHead', 'BaseGroundingHead', 'BaseSpatialHead',
    'BaseTemporalHead', 'best_contiguous_run', 'GaussianHeatmapHead', 'QueryBoxHead',
    'SpanScoreHead', 'StartEndHead', 'TAN2DHead', 'TemporalLocationHead', 'TubeBoxHead'
]
