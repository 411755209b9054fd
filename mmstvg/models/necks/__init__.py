from .attribute_spatial_activation import AttributeSpatialActivation
from .cgstvg_decoder import CGSTVGDecoder, TASTVGDecoder
from .cgstvg_encoder import CGSTVGEncoder
from .cross_modal_interaction import CrossModalInteraction
from .instance_context_guidance import InstanceContextGuidance
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
from .text_guided_temporal_sampling import TextGuidedTemporalSampling

__all__ = [
    'AttributeSpatialActivation', 'CGSTVGDecoder', 'CGSTVGEncoder', 'CrossModalInteraction',
    'InstanceContextGuidance', 'MixedConvNet', 'SDIB', 'SpaceTimeDecoder', 'SpaceTimeEncoder',
    'StaticBranch', 'STCATDecoder', 'STCATEncoder', 'STCMT', 'TemporalConvNeck',
    'TextGuidedPooling', 'TASTVGDecoder', 'TextGuidedTemporalSampling'
]
