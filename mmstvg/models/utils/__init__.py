from .activation_checkpoint import checkpoint_call
from .attention_centroid import attention_centroid
from .cgstvg_converter import CGSTVGConversionError  # registers the cgstvg / tastvg maps
from .mdetr_converter import convert_mdetr
from .stcat_converter import STCATConversionError, convert_stcat
from .tubedetr_converter import TubeDETRConversionError, convert_tubedetr

__all__ = [
    'CGSTVGConversionError', 'STCATConversionError', 'TubeDETRConversionError',
    'attention_centroid', 'checkpoint_call', 'convert_mdetr', 'convert_stcat', 'convert_tubedetr'
]
