from .sdib import SDIB
from .static_branch import StaticBranch
from .stcmt import STCMT
from .temporal_conv_neck import TemporalConvNeck
from .text_guided_pooling import TextGuidedPooling

__all__ = ['SDIB', 'STCMT', 'StaticBranch', 'TemporalConvNeck', 'TextGuidedPooling']
