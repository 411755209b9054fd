"""Atomic checkpoint writes leave files with the permissions a plain ``open(..., 'wb')``
gives: 0o666 less the umask for a new file, the old mode for a replaced one (tempfile's
0o600 must not leak)."""
import os
import stat

import pytest

from mmstvg.engine.fileio.atomic_local_backend import AtomicLocalBackend, atomic_write


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize('umask', [0o022, 0o027, 0o077, 0o002])
def test_new_file_honours_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        atomic_write(b'data', tmp_path / 'epoch_1.pth')
        with open(tmp_path / 'plain.pth', 'wb') as f:
            f.write(b'data')
    finally:
        os.umask(old)
    assert _mode(tmp_path / 'epoch_1.pth') == 0o666 & ~umask == _mode(tmp_path / 'plain.pth')


def test_replaced_file_keeps_its_mode(tmp_path):
    target = tmp_path / 'last_checkpoint'
    target.write_bytes(b'old')
    os.chmod(target, 0o640)
    AtomicLocalBackend().put_text('new', target)
    assert target.read_text() == 'new' and _mode(target) == 0o640


_FULL_DISK = r'''
import resource, signal, sys
from mmstvg.engine.fileio.atomic_local_backend import atomic_write
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a killed process
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
try:
    atomic_write(b'x' * 100000, sys.argv[1])
except OSError as err:
    print(type(err).__name__, err.errno, err.filename)
    print(err)
'''


def test_failed_write_names_the_file_and_keeps_the_old_one(tmp_path):
    """A write that fails for lack of space (here: the file size limit, EFBIG, as a full disk
    gives ENOSPC) names the checkpoint, keeps the previous one and leaves no temporary file."""
    import subprocess
    import sys
    target = tmp_path / 'epoch_3.pth'
    target.write_bytes(b'previous checkpoint')
    proc = subprocess.run(
        [sys.executable, '-c', _FULL_DISK, str(target)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:2] == ['OSError', '27'] and lines[0].endswith(str(target))
    assert 'File too large' in lines[1] and str(target) in lines[1]
    assert 'the previous file is kept' in lines[1]
    assert target.read_bytes() == b'previous checkpoint'
    assert os.listdir(tmp_path) == ['epoch_3.pth']
