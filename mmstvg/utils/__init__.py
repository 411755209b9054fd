from .cli import load_config, validate_cfg_options, validate_config_path
from .compat import apply_compat
from .config_check import ConfigError, validate_config
from .setup_env import register_all_modules

__all__ = [
    'ConfigError', 'apply_compat', 'load_config', 'register_all_modules',
    'validate_cfg_options', 'validate_config', 'validate_config_path'
]
