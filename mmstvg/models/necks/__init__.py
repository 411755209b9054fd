from .cross_modal_interaction import CrossModalInteraction
from .mixed_conv_net import MixedConvNet
from .sdib import SDIB
from .static_branch import StaticBranch
from .stcmt import STCMT
from .temporal_conv_neck import TemporalConvNeck
from .text_guided_pooling import TextGuidedPooling

__all__ = [
    'CrossModalInteraction', 'MixedConvNet', 'SDIB', 'STCMT', 'StaticBranch', 'TemporalConvNeck',
    'TextGuidedPooling'
]
