"""Local file backend whose writes are atomic (registered as ``'atomic_local'``).

mmengine's ``LocalBackend.put`` opens the target with ``'wb'`` and writes into it, so a run
killed while saving leaves a truncated ``epoch_N.pth`` behind — and CheckpointHook's
``max_keep_ckpts`` may already have deleted the older ones. This backend writes to a temporary
file in the same directory, flushes and fsyncs it, then ``os.replace``-s it onto the target
(atomic on POSIX and Windows within one file system): a reader sees the old file or the new
one, never a partial one.

Use it for checkpoints with ``CheckpointHook(backend_args=dict(backend='atomic_local'))``
(``configs/_base_/default_runtime.py`` does).
"""
import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend


def atomic_write(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` atomically (temporary file + fsync + rename)."""
    filepath = str(filepath)
    directory = osp.dirname(osp.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(filepath)}.', suffix='.tmp',
                               dir=directory)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
    try:  # persist the rename itself
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


@register_backend('atomic_local')
class AtomicLocalBackend(LocalBackend):
    """``LocalBackend`` with atomic ``put`` / ``put_text``."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        atomic_write(obj, filepath)

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        atomic_write(obj.encode(encoding), filepath)
