"""Checkpoint loading errors: refused vs unreadable files (auto-resume skips only the latter),
messages naming the file without torch's ANSI codes and "load it with weights_only=False"
advice, corrupt files through mmengine's loader, and the coverage of the model."""
import argparse
import re

import numpy as np
import pytest
import torch
from mmengine.runner.checkpoint import _load_checkpoint

from mmstvg.engine import safe_checkpoint_loading
from mmstvg.engine.fileio import find_resumable_checkpoint
from mmstvg.utils.checkpoint_safety import (CheckpointError, CorruptCheckpointError,
                                            IncompleteCheckpointError, UnsafeCheckpointError,
                                            check_state_dict_coverage, safe_torch_load)


def _training_ckpt(path, **extra):
    torch.save(
        dict(state_dict={'w': torch.ones(2)}, meta=dict(epoch=1, iter=4), **extra), str(path))
    return path


def _corrupt_files(tmp_path):
    good = _training_ckpt(tmp_path / 'good.pth').read_bytes()
    random_bytes = np.random.default_rng(0).bytes(4096)  # fixed: no flaky draw
    files = {
        'empty': b'',
        'random': random_bytes,
        'truncated': good[:len(good) // 2],
        'text': b'not a checkpoint at all\n'
    }
    paths = {}
    for name, data in files.items():
        paths[name] = tmp_path / f'{name}.pth'
        paths[name].write_bytes(data)
    return paths


def _assert_clean(message):
    assert '\x1b' not in message  # no ANSI codes
    assert 'can still be loaded' not in message  # no advice to load unsafely
    assert 'Re-running `torch.load`' not in message
    assert 'add_safe_globals' not in message


def test_corrupt_files_name_the_file(tmp_path):
    for name, path in _corrupt_files(tmp_path).items():
        for load in (safe_torch_load, _load_checkpoint):  # direct, and through mmengine
            with pytest.raises(CorruptCheckpointError) as info, safe_checkpoint_loading():
                load(str(path), map_location='cpu')
            msg = str(info.value)
            assert str(path) in msg and 'bytes' in msg, (name, msg)
            _assert_clean(msg)


def test_refused_file_is_reported_without_torchs_advice(tmp_path):
    path = _training_ckpt(tmp_path / 'ns.pth', cfg=argparse.Namespace(lr=1))
    with pytest.raises(UnsafeCheckpointError) as info, safe_checkpoint_loading():
        _load_checkpoint(str(path), map_location='cpu')
    msg = str(info.value)
    assert str(path) in msg and 'argparse.Namespace' in msg
    _assert_clean(msg)


def test_auto_resume_stops_at_a_refused_checkpoint(tmp_path):
    """An intact checkpoint that the safe loader refuses must not be skipped (the run would
    resume from an older one and later overwrite it)."""
    _training_ckpt(tmp_path / 'epoch_1.pth')
    refused = _training_ckpt(tmp_path / 'epoch_2.pth', cfg=argparse.Namespace(lr=1))
    data = refused.read_bytes()
    (tmp_path / 'last_checkpoint').write_text(str(refused))
    with pytest.raises(UnsafeCheckpointError, match=re.escape(str(refused))) as info:
        find_resumable_checkpoint(str(tmp_path))
    _assert_clean(str(info.value))
    assert refused.read_bytes() == data


def test_auto_resume_stops_at_a_checkpoint_that_is_not_a_training_one(tmp_path):
    _training_ckpt(tmp_path / 'epoch_1.pth')
    torch.save({'state_dict': {'w': torch.ones(2)}}, str(tmp_path / 'epoch_2.pth'))
    with pytest.raises(CheckpointError, match='not a training checkpoint'):
        find_resumable_checkpoint(str(tmp_path))


def test_auto_resume_skips_only_unreadable_files(tmp_path):
    _training_ckpt(tmp_path / 'epoch_1.pth')
    for i, path in enumerate(_corrupt_files(tmp_path).values()):
        path.rename(tmp_path / f'epoch_{i + 2}.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_5.pth'))
    assert find_resumable_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_1.pth')


class _Tiny(torch.nn.Module):

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3, 2)
        self.bn = torch.nn.BatchNorm1d(2)


def test_coverage_exact_checkpoint_passes():
    model = _Tiny()
    ckpt = {'state_dict': {f'module.{k}': v for k, v in model.state_dict().items()}}
    report = check_state_dict_coverage(model, ckpt, 'x.pth')  # DDP prefix removed
    assert report == dict(missing=[], unexpected=[], mismatched=[])


@pytest.mark.parametrize('case', ['empty', 'shapes', 'missing', 'unexpected'])
def test_coverage_refuses_partial_checkpoints(case):
    model = _Tiny()
    state = dict(model.state_dict())
    if case == 'empty':
        state = {}
    elif case == 'shapes':
        state = {k: torch.zeros(*v.shape, 2) for k, v in state.items()}
    elif case == 'missing':
        state.pop('fc.bias')
    else:
        state['head.weight'] = torch.zeros(1)
    with pytest.raises(IncompleteCheckpointError, match='x.pth') as info:
        check_state_dict_coverage(model, {'state_dict': state}, 'x.pth')
    msg = str(info.value)
    assert 'allow_partial_load' in msg
    expected = {
        'empty': '0 of the 7 weights',
        'shapes': '0 of the 7 weights',
        'missing': 'fc.bias',
        'unexpected': 'head.weight'
    }[case]
    assert expected in msg
    report = check_state_dict_coverage(model, {'state_dict': state}, 'x.pth', allow_partial=True)
    assert any(report.values())
