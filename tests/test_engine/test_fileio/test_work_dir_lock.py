"""One training per work dir: a second training into a work dir that another process trains
in stops at start-up with an error naming that process; the lock goes with the process."""
import os
import subprocess
import sys
import time

import pytest

from mmstvg.engine.fileio.work_dir_lock import LOCK_FILE, WorkDirLockedError, lock_work_dir

_HOLD = r'''
import sys, time
from mmstvg.engine.fileio.work_dir_lock import lock_work_dir
with lock_work_dir(sys.argv[1]):
    print('locked', flush=True)
    time.sleep(float(sys.argv[2]))
'''


def _hold(work_dir, seconds=60):
    proc = subprocess.Popen(
        [sys.executable, '-c', _HOLD, str(work_dir),
         str(seconds)],
        stdout=subprocess.PIPE,
        text=True)
    assert proc.stdout.readline().strip() == 'locked'
    return proc


def test_second_training_is_refused_naming_the_first(tmp_path):
    work_dir = tmp_path / 'work'
    holder = _hold(work_dir)
    try:
        with pytest.raises(WorkDirLockedError) as err:
            with lock_work_dir(str(work_dir), rank=0):
                pass
        message = str(err.value)
        assert str(work_dir) in message and f'pid {holder.pid}' in message
        assert '--work-dir' in message
        assert err.value.holder['pid'] == holder.pid
    finally:
        holder.kill()
        holder.wait()
    # the lock died with its process (kill -9: no stale lock)
    with lock_work_dir(str(work_dir), rank=0) as path:
        assert path == str(work_dir / LOCK_FILE)
        assert f'"pid": {os.getpid()}' in open(path).read()


def test_other_ranks_do_not_lock(tmp_path):
    holder = _hold(tmp_path)
    try:
        with lock_work_dir(str(tmp_path), rank=1) as path:
            assert path is None
        os.environ['RANK'] = '3'
        try:
            with lock_work_dir(str(tmp_path)) as path:
                assert path is None
        finally:
            del os.environ['RANK']
    finally:
        holder.kill()
        holder.wait()


def test_released_after_the_block(tmp_path):
    with lock_work_dir(str(tmp_path), rank=0):
        pass
    start = time.time()
    with lock_work_dir(str(tmp_path), rank=0) as path:
        assert path is not None
    assert time.time() - start < 5


_FORK_AND_DIE = r'''
import os, sys, time
from mmstvg.engine.fileio.work_dir_lock import lock_work_dir
with lock_work_dir(sys.argv[1]):
    if os.fork() == 0:  # a DataLoader worker, outliving its killed trainer
        time.sleep(30)
        os._exit(0)
    print('forked', flush=True)
    os._exit(0)  # the trainer dies without unlocking
'''


def test_forked_workers_do_not_keep_the_lock(tmp_path):
    """A trainer killed while its forked DataLoader workers still run: the work dir is free
    at once for its --resume (the lock is the process's, not inherited)."""
    proc = subprocess.Popen(
        [sys.executable, '-c', _FORK_AND_DIE, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == 'forked'
    proc.wait()
    with lock_work_dir(str(tmp_path), rank=0) as path:
        assert path is not None
