from .mdetr_converter import convert_mdetr
from .span_targets import gt_span_positions

__all__ = ['convert_mdetr', 'gt_span_positions']
