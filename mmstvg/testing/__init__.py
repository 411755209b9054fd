from .runner_configs import set_synthetic_data_root
from .tiny_models import TINY_ROBERTA, demo_grounding_inputs, get_tiny_baseline_cfg

__all__ = [
    'TINY_ROBERTA', 'demo_grounding_inputs', 'get_tiny_baseline_cfg', 'set_synthetic_data_root'
]
