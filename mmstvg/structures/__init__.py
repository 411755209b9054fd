from .stvg_data_sample import STVGDataSample

__all__ = ['STVGDataSample']
