from .cli import dataset_cfg_of, load_config, validate_cfg_options, validate_config_path
from .compat import apply_compat, install_compat
from .config_check import ConfigError, validate_config
from .json_io import JSONFileError, load_json
from .setup_env import register_all_modules

__all__ = [
    'ConfigError', 'JSONFileError', 'apply_compat', 'install_compat', 'dataset_cfg_of',
    'load_config', 'load_json', 'register_all_modules', 'validate_cfg_options', 'validate_config',
    'validate_config_path'
]
