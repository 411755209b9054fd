from .scaled_iou_bce_loss import ScaledIoUBCELoss
from .spatial_attention_loss import SpatialAttentionLoss
from .temporal_attentive_loss import TemporalAttentiveLoss

__all__ = ['ScaledIoUBCELoss', 'SpatialAttentionLoss', 'TemporalAttentiveLoss']
