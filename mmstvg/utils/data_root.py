"""Move a config's dataset, or its pretrained-model folder, with one setting: ``--data-root``
and ``--pretrained-root`` of the tools.

A config names its dataset folder once, as the variable ``data_root`` of its dataset config
(``configs/_base_/datasets/``), but that value is used when the file is loaded: it is copied
into every dataset's ``data_root`` and into paths built from it (the synthetic benchmark's
tokenizer, ``data_root + '/tokenizer'``, inside two pipelines). Overriding the variable
afterwards changes none of them (which is why ``--cfg-options data_root=...`` is refused,
:mod:`mmstvg.utils.config_check`), and moving the data by hand takes an override per copy,
positional pipeline keys included.

Here the loaded config is rewritten instead: every string of the config that IS the old folder
or lies under it (``old`` or ``old/...``, compared after ``os.path.normpath``) is given the new
folder in its place, whatever key holds it (each dataset's ``data_root``, a tokenizer's or a
text encoder's ``pretrained``, a GloVe or vocabulary file, an ``init_cfg`` checkpoint,
``load_from``, the variables themselves). Paths relative to ``data_root`` (``ann_file``,
``data_prefix``) need no change. ``work_dir`` (an output) is never touched.

- :func:`move_data_root`: the old folder is the ``data_root`` of the config's datasets
  (``train`` / ``val`` / ``test_dataloader``, through dataset wrappers); a config whose
  datasets read two different folders is refused (move each with ``--cfg-options``).
- :func:`move_pretrained_root`: the old folder is the config's variable ``pretrained_root``
  when it has one, else ``data/pretrained`` (:data:`PRETRAINED_ROOT`, where the configs and
  ``docs/dataset_prepare.md`` put the pretrained models).

Either raises :class:`~mmstvg.utils.config_check.ConfigError` when nothing of the config is
under the old folder: a flag that moves nothing is a mistake, not a no-op.
"""
import os.path as osp
from typing import Any, Callable, List, Optional, Set

from .config_check import ConfigError

#: where the configs read pretrained models from (docs/dataset_prepare.md)
PRETRAINED_ROOT = 'data/pretrained'
#: top-level keys that are outputs, never moved
OUTPUT_KEYS = ('work_dir', )
_LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _under(path: str, root: str) -> Optional[str]:
    """The part of ``path`` below ``root`` ('' for ``root`` itself), or None when ``path``
    is not ``root`` nor under it. URLs (``scheme://``) are never under a folder."""
    if not isinstance(path, str) or not path or '://' in path:
        return None
    norm, root = osp.normpath(path), osp.normpath(root)
    if norm == root:
        return ''
    prefix = root.rstrip(osp.sep) + osp.sep
    return norm[len(prefix):] if norm.startswith(prefix) else None


def _rewrite(node: Any, fn: Callable[[str], Optional[str]], path: str, changed: List[str],
             seen: Set[int]) -> Any:
    """``node`` with every string ``s`` for which ``fn(s)`` is not None replaced by it (dicts
    and lists in place, each once even where two keys hold the same object, e.g.
    ``test_dataloader = val_dataloader``; tuples rebuilt); the dotted keys of the replaced
    strings are added to ``changed``."""
    if isinstance(node, str):
        new = fn(node)
        if new is None:
            return node
        changed.append(path)
        return new
    if isinstance(node, (dict, list)):
        if id(node) in seen:
            return node
        seen.add(id(node))
        keys = list(node.keys()) if isinstance(node, dict) else range(len(node))
        for key in keys:
            node[key] = _rewrite(node[key], fn, f'{path}.{key}', changed, seen)
        return node
    if isinstance(node, tuple):
        return type(node)(_rewrite(item, fn, f'{path}.{i}', changed, seen)
                          for i, item in enumerate(node))
    return node


def move_root(cfg, old: str, new: str) -> List[str]:
    """Replace the folder ``old`` by ``new`` in every path of ``cfg`` that is ``old`` or lies
    under it (in place; ``work_dir`` excepted).

    Args:
        cfg (Config): a loaded config.
        old (str): the folder the config reads now (e.g. ``'data/synth_stvg'``).
        new (str): where it is now (kept as given: relative paths stay relative to the
            directory the tool runs in).

    Returns:
        list[str]: the dotted keys that changed, e.g.
        ``['train_dataloader.dataset.data_root', 'train_dataloader.dataset.pipeline.6.
        tokenizer.pretrained', ...]``.
    """
    new = str(new).rstrip(osp.sep) or osp.sep

    def moved(path: str) -> Optional[str]:
        rest = _under(path, old)
        if rest is None:
            return None
        return osp.join(new, rest) if rest else new

    changed: List[str] = []
    seen: Set[int] = set()
    for key in list(cfg.keys()):
        if key in OUTPUT_KEYS or key.startswith('_'):
            continue
        cfg[key] = _rewrite(cfg[key], moved, key, changed, seen)
    return changed


def _innermost_datasets(node: Any) -> List[dict]:
    """The datasets with a ``data_root`` inside a dataset config (through ``dataset=`` /
    ``datasets=[...]`` wrappers)."""
    if not isinstance(node, dict):
        return []
    found = [node] if node.get('data_root') is not None else []
    if isinstance(node.get('dataset'), dict):
        found += _innermost_datasets(node['dataset'])
    for ds in node.get('datasets') or []:
        found += _innermost_datasets(ds)
    return found


def dataset_roots(cfg) -> List[str]:
    """The distinct ``data_root`` folders of the config's datasets (normalised), in order."""
    roots: List[str] = []
    for name in _LOADERS:
        loader = cfg.get(name)
        if not isinstance(loader, dict):
            continue
        for ds in _innermost_datasets(loader.get('dataset')):
            root = osp.normpath(str(ds['data_root']))
            if root not in roots:
                roots.append(root)
    return roots


def move_data_root(cfg, new_root: str) -> List[str]:
    """Make ``cfg`` read its dataset from ``new_root``: every path under the datasets'
    ``data_root`` (see the module docstring).

    Args:
        cfg (Config): a loaded config (changed in place).
        new_root (str): the folder holding the dataset (what ``data_root`` names).

    Returns:
        list[str]: the dotted keys that changed.

    Raises:
        ConfigError: the config has no dataset with a ``data_root``, or its datasets read
            different folders.
    """
    roots = dataset_roots(cfg)
    if not roots:
        raise ConfigError('--data-root: no dataset of the config (train_dataloader, '
                          'val_dataloader, test_dataloader) has a data_root to move')
    if len(roots) > 1:
        raise ConfigError(
            f'--data-root: the datasets of the config read {len(roots)} folders '
            f'({", ".join(roots)}), so one new folder cannot replace them; set each with '
            '--cfg-options (e.g. train_dataloader.dataset.data_root=DIR)')
    return move_root(cfg, roots[0], new_root)


def move_pretrained_root(cfg, new_root: str) -> List[str]:
    """Make ``cfg`` read its pretrained models from ``new_root``: every path under the
    config's ``pretrained_root`` variable, else under ``data/pretrained``.

    Args:
        cfg (Config): a loaded config (changed in place).
        new_root (str): the folder holding the pretrained models.

    Returns:
        list[str]: the dotted keys that changed.

    Raises:
        ConfigError: no path of the config is under the pretrained-model folder.
    """
    old = cfg.get('pretrained_root') or PRETRAINED_ROOT
    changed = move_root(cfg, old, new_root)
    if not [k for k in changed if k != 'pretrained_root']:
        raise ConfigError(f'--pretrained-root: no path of the config is under {old!r} (the '
                          'config reads no pretrained model from there): nothing to move')
    return changed


def add_root_arguments(parser) -> None:
    """Add ``--data-root DIR`` and ``--pretrained-root DIR`` to a tool's argument parser
    (apply them with :func:`apply_root_arguments`, or through ``load_config``)."""
    parser.add_argument(
        '--data-root',
        metavar='DIR',
        help='read the dataset from DIR: every path of the config under its datasets\' '
        'data_root (annotations, videos, features, the synthetic tokenizer) moves there')
    parser.add_argument(
        '--pretrained-root',
        metavar='DIR',
        help=f'read the pretrained models from DIR instead of {PRETRAINED_ROOT}: every path '
        'of the config under it moves there (text encoders, tokenizers, GloVe files, '
        'checkpoints)')


def apply_root_arguments(cfg,
                         data_root: Optional[str] = None,
                         pretrained_root: Optional[str] = None) -> List[str]:
    """Apply ``--data-root`` and ``--pretrained-root`` (either may be None) to ``cfg``.

    Returns:
        list[str]: the dotted keys that changed.
    """
    changed: List[str] = []
    if data_root is not None:
        changed += move_data_root(cfg, data_root)
    if pretrained_root is not None:
        changed += move_pretrained_root(cfg, pretrained_root)
    return changed
