from .scaled_iou_bce_loss import ScaledIoUBCELoss
from .spatial_attention_loss import SpatialAttentionLoss
from .temporal_attentive_loss import TemporalAttentiveLoss
from .threshold_gaussian_focal_loss import ThresholdGaussianFocalLoss

__all__ = [
    'ScaledIoUBCELoss', 'SpatialAttentionLoss', 'TemporalAttentiveLoss',
    'ThresholdGaussianFocalLoss'
]
