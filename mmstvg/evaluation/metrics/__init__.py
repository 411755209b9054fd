# Each component module adds its import line here.
from .stvg_metric import STVGMetric

__all__ = ['STVGMetric']
