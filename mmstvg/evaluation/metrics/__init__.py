# Each component module adds its import line here.
from .stvg_metric import NonFinitePredictionError, STVGMetric

__all__ = ['NonFinitePredictionError', 'STVGMetric']
