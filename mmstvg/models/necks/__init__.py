from .cross_modal_interaction import CrossModalInteraction
from .mixed_conv_net import MixedConvNet
from .sdib import SDIB
from .space_time_decoder import SpaceTimeDecoder
from .space_time_encoder import SpaceTimeEncoder
from .static_branch import StaticBranch
from .stcat_decoder import STCATDecoder
from .stcat_encoder import STCATEncoder
from .stcmt import STCMT
from .temporal_conv_neck import TemporalConvNeck
from .text_guided_pooling import TextGuidedPooling

__all__ = [
    'CrossModalInteraction', 'MixedConvNet', 'SDIB', 'SpaceTimeDecoder', 'SpaceTimeEncoder',
    'StaticBranch', 'STCATDecoder', 'STCATEncoder', 'STCMT', 'TemporalConvNeck',
    'TextGuidedPooling'
]
