# The functional code and the protocols are pure numpy; the metrics (mmengine's BaseMetric,
# which imports torch) are imported on first use, so that the evaluation tools do not import
# torch (issue 28). The registries METRICS / EVALUATOR import mmstvg.evaluation.metrics.
from mmstvg.utils.lazy_import import lazy_attributes
from .functional import *  # noqa: F401,F403
from .functional import __all__ as _functional_all
from .protocols import *  # noqa: F401,F403
from .protocols import __all__ as _protocols_all

__getattr__, __dir__ = lazy_attributes(__name__, globals(), {
    'NonFinitePredictionError': '.metrics',
    'STVGMetric': '.metrics'
})

__all__ = _functional_all + _protocols_all + [  # noqa: F405
    'NonFinitePredictionError', 'STVGMetric'
]
