from .mdetr_converter import convert_mdetr

__all__ = ['convert_mdetr']
