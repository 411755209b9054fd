from .attn_decoder_layer import AttnDetrTransformerDecoderLayer
from .positional_encoding import safe_key_padding_mask, sine_encoding_1d
from .stcmt_layer import STCMTLayer

__all__ = [
    'AttnDetrTransformerDecoderLayer', 'STCMTLayer', 'safe_key_padding_mask',
    'sine_encoding_1d'
]
