from .attn_decoder_layer import AttnDetrTransformerDecoderLayer
from .bert_cross_layer import BertCrossLayer
from .bert_prediction_head import BertPredictionHead
from .dropout_mlp import DropoutMLP
from .fusible_attention import (FusibleMultiheadAttention, multihead_attention, project_heads,
                                set_attn_impl)
from .fusible_encoder_layer import FusibleDetrTransformerEncoderLayer
from .positional_encoding import safe_key_padding_mask, sine_encoding_1d
from .stcmt_layer import STCMTLayer
from .time_aware_decoder_layer import TimeAwareDecoderLayer

__all__ = [
    'AttnDetrTransformerDecoderLayer', 'BertCrossLayer', 'BertPredictionHead', 'DropoutMLP',
    'FusibleDetrTransformerEncoderLayer', 'FusibleMultiheadAttention', 'STCMTLayer',
    'multihead_attention', 'project_heads', 'TimeAwareDecoderLayer', 'safe_key_padding_mask',
    'set_attn_impl', 'sine_encoding_1d'
]
