from .activation_checkpoint import checkpoint_call
from .mdetr_converter import convert_mdetr
from .tubedetr_converter import TubeDETRConversionError, convert_tubedetr

__all__ = ['TubeDETRConversionError', 'checkpoint_call', 'convert_mdetr', 'convert_tubedetr']
