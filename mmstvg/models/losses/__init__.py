from .guided_attention_loss import GuidedAttentionLoss, guided_attention_loss
from .scaled_iou_bce_loss import ScaledIoUBCELoss, scaled_iou_bce_loss
from .spatial_attention_loss import SpatialAttentionLoss, spatial_attention_loss
from .start_end_kl_loss import StartEndKLLoss, start_end_kl_loss
from .temporal_attentive_loss import TemporalAttentiveLoss, temporal_attentive_loss
from .threshold_gaussian_focal_loss import (ThresholdGaussianFocalLoss,
                                            threshold_gaussian_focal_loss)

__all__ = [
    'GuidedAttentionLoss', 'StartEndKLLoss', 'guided_attention_loss', 'start_end_kl_loss',
    'ScaledIoUBCELoss', 'SpatialAttentionLoss', 'TemporalAttentiveLoss',
    'ThresholdGaussianFocalLoss', 'scaled_iou_bce_loss', 'spatial_attention_loss',
    'temporal_attentive_loss', 'threshold_gaussian_focal_loss'
]
