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
