"""One training per work dir: an advisory lock taken by ``tools/train.py``.

Two trainings started into the same ``work_dir`` would write the same ``epoch_N.pth``,
``last_checkpoint`` and logs, each overwriting the other's work without a word (and
``--resume`` would then resume whichever wrote last). :func:`lock_work_dir` takes an
exclusive POSIX record lock (``fcntl.lockf``) on ``<work_dir>/.train.lock`` for the lifetime
of the training and writes into the file who holds it (pid, host, start time, command line).
A second training into the same folder stops at start-up, before anything is built or
written, with a :class:`WorkDirLockedError` naming that process.

The lock is held by the kernel for the process, not by the file: it is released when the
process ends, whatever the way (a crash or ``kill -9`` leave no stale lock to clean up; the
file stays and is reused). A POSIX lock rather than ``flock``: it is not inherited by forked
children, so DataLoader workers that outlive a killed trainer for a moment do not keep the
work dir locked against its ``--resume``. In a distributed run only the process of global
rank 0 takes it (torchrun's ``RANK``, slurm's ``SLURM_PROCID``, Open MPI's
``OMPI_COMM_WORLD_RANK``); a second distributed run into the same folder fails on its rank 0,
and the launcher stops its other ranks.
POSIX locks work across machines on NFS and Lustre; on a file system without locks, or where
``fcntl`` does not exist (Windows), the training runs unlocked after a warning.
"""
import errno
import json
import os
import os.path as osp
import socket
import sys
import time
from contextlib import contextmanager
from typing import Iterator, Optional

#: the lock file in the work dir
LOCK_FILE = '.train.lock'
#: environment variables that give the global rank of a process before the process group
#: exists, by launcher
RANK_VARIABLES = ('RANK', 'SLURM_PROCID', 'OMPI_COMM_WORLD_RANK')


class WorkDirLockedError(RuntimeError):
    """Another training holds the work dir.

    Attributes:
        work_dir (str): the folder.
        holder (dict): what the holder wrote (``pid``, ``host``, ``started``, ``command``);
            empty when it had not written it yet.
    """

    def __init__(self, message: str, work_dir: str, holder: dict) -> None:
        super().__init__(message)
        self.work_dir = work_dir
        self.holder = dict(holder)


def global_rank() -> int:
    """The global rank of this process as its launcher set it (0 without a launcher)."""
    for name in RANK_VARIABLES:
        value = os.environ.get(name)
        if value is not None and value.strip().isdigit():
            return int(value)
    return 0


def _describe(holder: dict) -> str:
    if not holder:
        return 'a process that is starting (it has not written its details yet)'
    started = holder.get('started')
    when = time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(started)) if started else '?'
    return (f'pid {holder.get("pid", "?")} on host {holder.get("host", "?")}, started '
            f'{when}: {holder.get("command", "?")}')


def _read_holder(fobj) -> dict:
    fobj.seek(0)
    try:
        holder = json.loads(fobj.read() or '{}')
    except ValueError:
        return {}
    return holder if isinstance(holder, dict) else {}


@contextmanager
def lock_work_dir(work_dir: str, rank: Optional[int] = None) -> Iterator[Optional[str]]:
    """Hold the training lock of ``work_dir`` (created if needed) while the block runs.

    Args:
        work_dir (str): the run's work dir (``cfg.work_dir``).
        rank (int, optional): the process's global rank; only rank 0 locks. Defaults to
            :func:`global_rank`.

    Yields:
        str or None: the lock file, or None when this process does not lock (rank > 0, no
        ``fcntl``, or a file system without locks).

    Raises:
        WorkDirLockedError: another process holds the lock (it is named).
    """
    rank = global_rank() if rank is None else rank
    try:
        import fcntl
    except ImportError:  # pragma: no cover (Windows)
        fcntl = None
    if rank != 0 or fcntl is None:
        if fcntl is None:
            print(
                f'WARNING: cannot lock {work_dir} on this platform (no fcntl): make sure no '
                'other training writes into it',
                file=sys.stderr)
        yield None
        return
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(work_dir, LOCK_FILE)
    fobj = open(path, 'a+')  # never truncates the holder's details before the lock is ours
    try:
        locked = _try_lock(fcntl, fobj, work_dir, path)
        if locked:
            fobj.seek(0)
            fobj.truncate()
            fobj.write(
                json.dumps(
                    dict(
                        pid=os.getpid(),
                        host=socket.gethostname(),
                        started=time.time(),
                        command=' '.join([osp.basename(sys.executable)] + sys.argv))))
            fobj.flush()
        yield path if locked else None
    finally:
        fobj.close()  # releases the lock


def _try_lock(fcntl, fobj, work_dir: str, path: str) -> bool:
    """Take the lock of ``fobj``: True, False on a file system without locks (warned);
    :class:`WorkDirLockedError` when another process holds it."""
    try:
        fcntl.lockf(fobj.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError as err:
        if err.errno not in (errno.EACCES, errno.EAGAIN):  # a file system without locks
            print(
                f'WARNING: cannot lock {path} ({err}): make sure no other training writes '
                f'into {work_dir}',
                file=sys.stderr)
            return False
        holder = _read_holder(fobj)
    raise WorkDirLockedError(
        f'work_dir {work_dir} is in use by another training ({_describe(holder)}). Two '
        "trainings in one work dir overwrite each other's checkpoints and logs: wait for it "
        f'to end, stop it, or pass another --work-dir (the lock is {path}; it is released '
        'when that process ends).', work_dir, holder)
