"""Validation of what the command-line tools are given: the config path and
``--cfg-options``.

A config is Python and runs as code when loaded (mmengine's ``Config.fromfile``): load only
configs you trust. What is checked here are mistakes, which mmengine would otherwise accept
silently: ``--cfg-options`` with a misspelt key creates a new, unused entry (the run then
ignores the override the user believes active), and an override of a config variable
(``max_epochs``, ``data_root``) changes none of the values computed from it. The checks of
the merged config are in :mod:`mmstvg.utils.config_check`.
"""
import difflib
import os.path as osp
import re
from typing import Optional

from .config_check import check_config_files, check_override_top_level, check_override_type
from .data_root import apply_root_arguments

CONFIG_SUFFIXES = ('.py', '.json', '.yaml', '.yml')
_KEY = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*(\.([A-Za-z_][A-Za-z0-9_]*|\d+))*$')


def validate_config_path(path: str) -> str:
    """Raise a clear error unless ``path`` is an existing config file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file {path!r} does not exist')
    if not path.endswith(CONFIG_SUFFIXES):
        raise ValueError(f'config file {path!r} must end with one of {CONFIG_SUFFIXES}')
    return path


def validate_cfg_options(cfg, options: Optional[dict]) -> None:
    """Check every ``--cfg-options`` key against the loaded config.

    A key is dotted identifiers (list items by index, as mmengine allows; no dunder names).
    Its first part must be a top-level key that the runner or mmstvg reads (not a config
    variable, not an unknown name: :func:`~mmstvg.utils.config_check.
    check_override_top_level`). Its parent must exist in ``cfg`` and be a dict or a list (a
    new leaf key is allowed, e.g. an argument the base config leaves at its default); a
    missing parent raises a ValueError naming the closest existing key. Its value must have
    the type the argument expects (:func:`~mmstvg.utils.config_check.check_override_type`:
    the annotation of the class receiving it, or the type of the number / bool the config
    holds), or a ConfigError names the key, the expected type and the value.
    """
    for key in (options or {}):
        if not _KEY.match(key) or any(p.startswith('__') for p in key.split('.')):
            raise ValueError(f'--cfg-options: invalid key {key!r} (expected dotted names, '
                             'e.g. model.backbone.depth or train_dataloader.batch_size)')
        parts = key.split('.')
        check_override_top_level(cfg, parts[0])
        node, path = cfg, []
        for part in parts[:-1]:
            path.append(part)
            if isinstance(node, (list, tuple)):
                if not part.isdigit() or int(part) >= len(node):
                    raise ValueError(f'--cfg-options: {".".join(path)!r} is not an index of '
                                     f'the {len(node)}-item list {".".join(path[:-1])!r}')
                node = node[int(part)]
                continue
            if not hasattr(node, 'keys') or part not in node:
                known = list(node.keys()) if hasattr(node, 'keys') else []
                close = difflib.get_close_matches(part, known, n=1)
                hint = f' (did you mean {close[0]!r}?)' if close else ''
                raise ValueError(f'--cfg-options: {key!r}: the config has no '
                                 f'{".".join(path)!r}{hint}')
            node = node[part]
        if not (hasattr(node, 'keys') or isinstance(node, (list, tuple))):
            raise ValueError(f'--cfg-options: {key!r}: {".".join(parts[:-1])!r} is a '
                             f'{type(node).__name__}, not a dict or list')
        check_override_type(cfg, key, options[key], node)


def load_config(path: str,
                cfg_options: Optional[dict] = None,
                data_root: Optional[str] = None,
                pretrained_root: Optional[str] = None):
    """Load a config for a command-line tool: the path, the files of its ``_base_`` chain
    and ``--cfg-options`` checked (see above), the options merged.

    Every tool loads its config here. Before mmengine reads the files,
    :func:`~mmstvg.utils.config_check.check_config_files` refuses a syntax error (naming
    the file and line, where mmengine names ``<unknown>``) and ``_base_`` files that name
    each other (where mmengine recurses until ``RecursionError``).

    Args:
        path (str): the config file.
        cfg_options (dict, optional): ``--cfg-options``, checked and merged. Tools that
            merge other arguments first (``tools/train.py``, ``tools/test.py``) pass None
            and call :func:`validate_cfg_options` themselves.
        data_root, pretrained_root (str, optional): ``--data-root`` / ``--pretrained-root``:
            move the dataset / the pretrained-model folder everywhere the config uses it
            (:mod:`mmstvg.utils.data_root`), before ``cfg_options`` are merged.

    Returns:
        mmengine.Config: the config.

    Raises:
        FileNotFoundError / ValueError: the path is no config file.
        ConfigSyntaxError / CircularBaseError: see above.
        ConfigError / ValueError: a bad ``--cfg-options`` key or value.
    """
    from mmengine.config import Config
    path = validate_config_path(path)
    check_config_files(path)
    cfg = Config.fromfile(path)
    apply_root_arguments(cfg, data_root, pretrained_root)
    validate_cfg_options(cfg, cfg_options)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def dataset_cfg_of(cfg, split: str):
    """The innermost STVG dataset config of ``{split}_dataloader`` (a copy, through wrappers
    such as ``RepeatDataset``), or None when the config has no such dataloader."""
    import copy
    loader = cfg.get(f'{split}_dataloader')
    if not loader:
        return None
    ds = copy.deepcopy(loader['dataset'])
    while 'dataset' in ds and 'ann_file' not in ds:  # RepeatDataset / ClassBalanced ...
        ds = ds['dataset']
    return ds
