"""Local file backend whose writes are atomic (registered as ``'atomic_local'``).

mmengine's ``LocalBackend.put`` opens the target with ``'wb'`` and writes into it, so a run
killed while saving leaves a truncated ``epoch_N.pth`` behind — and CheckpointHook's
``max_keep_ckpts`` may already have deleted the older ones. This backend writes to a temporary
file in the same directory, flushes and fsyncs it, then ``os.replace``-s it onto the target
(atomic on POSIX and Windows within one file system): a reader sees the old file or the new
one, never a partial one. The file gets the permissions a plain ``open(path, 'wb')`` would
give it: those of the file it replaces, or ``0o666`` less the umask for a new file
(``tempfile`` creates its files ``0o600``, which would hide checkpoints from the group). A
failed write (disk full, file size limit) removes the temporary file, keeps the previous
target, and raises the ``OSError`` with the target's name in it (the system's message names
no file: the write went to the temporary one).

Use it for checkpoints with ``CheckpointHook(backend_args=dict(backend='atomic_local'))``
(``configs/_base_/default_runtime.py`` does).
"""
import os
import os.path as osp
import stat
import tempfile
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend


def current_umask() -> int:
    """The process umask (read from /proc where it can be, without changing it)."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('Umask:'):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # the portable way: set and restore
    os.umask(mask)
    return mask


def _mode_for(filepath: str) -> int:
    """Permission bits ``open(filepath, 'wb')`` would leave the file with."""
    try:
        return stat.S_IMODE(os.stat(filepath).st_mode)
    except FileNotFoundError:
        return 0o666 & ~current_umask()


def atomic_write(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` atomically (temporary file + fsync + rename), with the
    permissions a plain write would give it."""
    filepath = str(filepath)
    directory = osp.dirname(osp.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    mode = _mode_for(filepath)
    fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(filepath)}.', suffix='.tmp', dir=directory)
    try:
        with os.fdopen(fd, 'wb') as f:
            os.chmod(tmp, mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException as err:
        if osp.exists(tmp):
            os.remove(tmp)
        if isinstance(err, OSError) and err.errno is not None:
            # e.g. ENOSPC / EFBIG, whose message names no file (the write went to `tmp`)
            kept = 'the previous file is kept' if osp.exists(filepath) else 'nothing was written'
            raise type(err)(err.errno,
                            f'{err.strerror} (writing {len(data)} bytes; {kept}; free space '
                            'on that disk, raise the file size limit, or write elsewhere)',
                            filepath) from err
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
