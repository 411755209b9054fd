# Each component module adds its import line here.
from .stvg_data_preprocessor import STVGDataPreprocessor

__all__ = ['STVGDataPreprocessor']
