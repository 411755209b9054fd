from .temporal_conv_neck import TemporalConvNeck
from .text_guided_pooling import TextGuidedPooling

__all__ = ['TemporalConvNeck', 'TextGuidedPooling']
