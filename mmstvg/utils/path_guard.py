"""Path safety: no tool writes over one of its inputs, no annotation reads outside the data root.

Outputs. Every command-line tool that writes files calls :func:`check_outputs_not_inputs` with its
output paths and its input paths BEFORE any work: an output that is an input (the same file
under another name: relative path, ``..``, symbolic or hard link), or two outputs that are the
same file, raise :class:`OverwriteInputError` naming both arguments. Paths are compared by
``os.path.realpath`` and, for existing files, by device and inode (as ``os.path.samefile``:
hard links, case-insensitive file systems).

Inputs named by an annotation. A video name in an annotation file (an HC-STVG key, a VidSTG
``vid``, a VidOR box file's ``video_path``) is data, not configuration: whoever wrote the file
must not be able to make mmstvg open a file outside the folders the config names
(``data_root`` / ``data_prefix``). :func:`join_under_root` joins such a relative path to its
root and refuses (:class:`UnsafePathError`) an absolute path, a drive or UNC path, a URL
(``scheme://``), a ``..`` segment anywhere, an empty name and a NUL byte. The rule is lexical,
on the name as written in the annotation, and nothing is resolved: a symbolic link *inside*
the data root is followed like any file (e.g. mmdetection's recommended ``data -> /datasets``
link, or a video folder linked from elsewhere), because whoever can place a link in the data
root already controls the data. The roots themselves come from the config and may be
anything (``../data``, ``/datasets/vidstg``, ``s3://bucket/...``).
"""
import os
import os.path as osp
import re
from typing import Dict, Iterable, List, Optional, Tuple, Union

PathArg = Optional[Union[str, os.PathLike, Iterable[Union[str, os.PathLike]]]]


class OverwriteInputError(ValueError):
    """An output path is an input of the same command (or another output)."""


class UnsafePathError(ValueError):
    """A path taken from an annotation would leave its root folder (see the module
    docstring)."""


#: ``C:``, ``C:\\`` ... (a drive) or ``scheme://`` (a URL) at the start of a name
_DRIVE_OR_URL = re.compile(r'^(?:[A-Za-z]:|[A-Za-z][A-Za-z0-9+.-]*://)')


def unsafe_path_reason(relative_path) -> Optional[str]:
    """Why ``relative_path`` (taken from an annotation) may not be joined to a root, or
    None when it may (see the module docstring for the rule).

    Args:
        relative_path: the name as written in the annotation.

    Returns:
        str or None: e.g. ``'it has a ".." segment'``.
    """
    if not isinstance(relative_path, str) or not relative_path:
        return 'it is not a non-empty string'
    if '\x00' in relative_path:
        return 'it contains a NUL byte'
    if relative_path.startswith(('/', '\\')) or osp.isabs(relative_path):
        return 'it is an absolute path'
    if _DRIVE_OR_URL.match(relative_path):
        return 'it names a drive or a URL'
    if '..' in re.split(r'[\\/]', relative_path):
        return 'it has a ".." segment'
    return None


def join_under_root(root: Optional[str], relative_path: str, what: str = 'path') -> str:
    """``root`` joined with a path read from an annotation, refused when the path could
    leave ``root`` (see the module docstring).

    Args:
        root (str, optional): the folder the config names (``data_prefix['video']`` ...);
            empty or None: the path is used as it is (relative to the working directory),
            under the same rule.
        relative_path (str): the name from the annotation.
        what (str): what the path is, for the message (``'video name'`` ...).

    Returns:
        str: the joined path (``mmengine.fileio.join_path``, so remote roots work).

    Raises:
        UnsafePathError: naming the path and why.
    """
    reason = unsafe_path_reason(relative_path)
    if reason is not None:
        where = f'under {root!r}' if root else 'under the working directory'
        raise UnsafePathError(
            f'{what} {relative_path!r} is refused: {reason}; paths in annotation files must '
            f'be relative and stay {where} (no absolute path, URL or ".." segment; a '
            'symbolic link inside the data root is allowed)')
    if not root:
        return relative_path
    from mmengine.fileio import join_path
    return join_path(root, relative_path)


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
