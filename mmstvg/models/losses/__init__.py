from .spatial_attention_loss import SpatialAttentionLoss

__all__ = ['SpatialAttentionLoss']
