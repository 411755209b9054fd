from .activation_checkpoint import checkpoint_call
from .mdetr_converter import convert_mdetr
from .span_targets import gt_span_positions

__all__ = ['checkpoint_call', 'convert_mdetr', 'gt_span_positions']
