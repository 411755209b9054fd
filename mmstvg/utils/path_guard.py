"""No tool writes over one of its inputs.

Every command-line tool that writes files calls :func:`check_outputs_not_inputs` with its
output paths and its input paths BEFORE any work: an output that is an input (the same file
under another name: relative path, ``..``, symbolic or hard link), or two outputs that are the
same file, raise :class:`OverwriteInputError` naming both arguments. Paths are compared by
``os.path.realpath`` and, for existing files, by device and inode (as ``os.path.samefile``:
hard links, case-insensitive file systems).
"""
import os
import os.path as osp
from typing import Dict, Iterable, List, Optional, Tuple, Union

PathArg = Optional[Union[str, os.PathLike, Iterable[Union[str, os.PathLike]]]]


class OverwriteInputError(ValueError):
    """An output path is an input of the same command (or another output)."""


def _flatten(paths: Dict[str, PathArg]) -> List[Tuple[str, str]]:
    items = []
    for name, value in paths.items():
        if value is None:
            continue
        if isinstance(value, (str, os.PathLike)):
            value = [value]
        for path in value:
            if path is not None and '://' not in os.fspath(path):  # remote: not ours
                items.append((name, os.fspath(path)))
    return items


def _keys(path: str) -> List[tuple]:
    """Identities of a path: its real path, and (device, inode) when it exists."""
    keys = [('path', osp.realpath(path))]
    try:
        st = os.stat(path)
        keys.append(('inode', st.st_dev, st.st_ino))
    except OSError:
        pass
    return keys


def check_outputs_not_inputs(outputs: Dict[str, PathArg], inputs: Dict[str, PathArg]) -> None:
    """Raise when an output would overwrite an input or another output.

    Args:
        outputs (dict): ``{argument name: path or paths}`` the command will write (None
            entries are ignored).
        inputs (dict): ``{argument name: path or paths}`` the command reads.

    Raises:
        OverwriteInputError: naming the output argument, the input argument and the path.
    """
    seen_in: Dict[tuple, Tuple[str, str]] = {}
    for name, path in _flatten(inputs):
        for key in _keys(path):
            seen_in.setdefault(key, (name, path))
    seen_out: Dict[tuple, Tuple[str, str]] = {}
    for name, path in _flatten(outputs):
        keys = _keys(path)
        for key in keys:
            if key in seen_in:
                in_name, src = seen_in[key]
                raise OverwriteInputError(
                    f'{name} {path!r} is the input {in_name} {src!r}: refusing to '
                    'overwrite an input; choose another output path')
            if key in seen_out:
                other_name, other = seen_out[key]
                raise OverwriteInputError(
                    f'{name} {path!r} and {other_name} {other!r} are the same file: '
                    'choose different output paths')
        for key in keys:
            seen_out[key] = (name, path)


def config_input_files(cfg,
                       config_path: Optional[str] = None,
                       checkpoint: Optional[str] = None) -> Dict[str, List[str]]:
    """The files a run of ``cfg`` reads: the config, the checkpoint, ``load_from`` and every
    dataloader's annotation file (``data_root`` joined as mmengine's ``BaseDataset`` does).

    Returns:
        dict: ``{'config': [...], 'checkpoint': [...], 'annotation file': [...]}``.
    """
    anns = []
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key) if hasattr(cfg, 'get') else None
        ds = loader.get('dataset') if loader else None
        while ds is not None:
            ann = ds.get('ann_file')
            if ann:
                root = ds.get('data_root') or ''
                anns.append(ann if osp.isabs(ann) or not root else osp.join(root, ann))
            ds = ds.get('dataset')  # wrappers (RepeatDataset ...)
    ckpts = [
        p for p in (checkpoint, cfg.get('load_from') if hasattr(cfg, 'get') else None)
        if isinstance(p, str)
    ]
    return {
        'config': [config_path] if config_path else [],
        'checkpoint': ckpts,
        'annotation file': anns
    }
