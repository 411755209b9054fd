from .activation_checkpoint import checkpoint_call
from .mdetr_converter import convert_mdetr

__all__ = ['checkpoint_call', 'convert_mdetr']
