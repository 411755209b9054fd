"""Bad checkpoints and bad arguments through the runner and the tools, before any work:

- a checkpoint that does not cover the model (empty state dict, every shape wrong) is
  refused by tools/test.py, init_grounder, load_from and --resume, unless partial loads are
  allowed on purpose;
- corrupt checkpoints (0 bytes, random bytes, truncated) give an error naming the file;
- a misspelt hook argument stops tools/train.py at start-up, not at the first save;
- ``train_cfg.max_epochs`` alone rescales the shipped schedule.
"""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmstvg.apis import init_grounder
from mmstvg.engine import safe_checkpoint_loading
from mmstvg.utils import register_all_modules
from mmstvg.utils.checkpoint_safety import CorruptCheckpointError, IncompleteCheckpointError
from .conftest import SYNTH_CFG, tiny_synth_cfg
from .test_fault_tolerance import _run

pytestmark = pytest.mark.slow


def _bad_checkpoints(good, tmp_path):
    """Checkpoints that load no weight of the model, and corrupt files."""
    ckpt = torch.load(good, weights_only=True)
    empty, reshaped = dict(ckpt, state_dict={}), dict(ckpt)
    reshaped['state_dict'] = {k: torch.zeros(*v.shape, 2) for k, v in ckpt['state_dict'].items()}
    paths = {}
    for name, value in (('empty_state_dict', empty), ('every_shape_wrong', reshaped)):
        paths[name] = str(tmp_path / f'{name}.pth')
        torch.save(value, paths[name])
    data = open(good, 'rb').read()
    for name, value in (('zero_bytes', b''), ('truncated', data[:len(data) // 3]),
                        ('random_bytes', np.random.default_rng(1).bytes(20000))):
        paths[name] = str(tmp_path / f'{name}.pth')
        open(paths[name], 'wb').write(value)
    return paths


def _runner(cfg_file, work_dir, **overrides):
    cfg = Config.fromfile(cfg_file)
    cfg.work_dir = work_dir
    cfg.merge_from_dict(overrides)
    return Runner.from_cfg(cfg)


def test_incomplete_and_corrupt_checkpoints_are_refused(trained, tmp_path):
    cfg_file, good = trained
    register_all_modules()
    for name, path in _bad_checkpoints(good, tmp_path).items():
        error = CorruptCheckpointError if name in ('zero_bytes', 'truncated',
                                                   'random_bytes') else \
            IncompleteCheckpointError
        # tools/test.py, init_grounder, load_from, --resume PATH (the tools run their Runner
        # inside safe_checkpoint_loading)
        with pytest.raises(error, match=path), safe_checkpoint_loading():
            _runner(cfg_file, str(tmp_path / name / 'test'), load_from=path).test()
        with pytest.raises(error, match=path):
            init_grounder(cfg_file, path)
        with pytest.raises(error, match=path), safe_checkpoint_loading():
            _runner(cfg_file, str(tmp_path / name / 'ft'), load_from=path).train()
        with pytest.raises(error, match=path), safe_checkpoint_loading():
            _runner(cfg_file, str(tmp_path / name / 'resume'), load_from=path, resume=True).train()
        assert not osp.exists(tmp_path / name / 'ft' / 'epoch_1.pth')
    # the good one loads everywhere; a partial load on purpose is allowed
    init_grounder(cfg_file, good)
    empty = str(tmp_path / 'empty_state_dict.pth')
    init_grounder(cfg_file, empty, allow_partial_load=True)
    _runner(cfg_file, str(tmp_path / 'partial'), load_from=empty, allow_partial_load=True).test()


def test_tools_test_refuses_a_checkpoint_that_loads_no_weight(trained, tmp_path):
    cfg_file, good = trained
    path = _bad_checkpoints(good, tmp_path)['empty_state_dict']
    proc = _run('tools/test.py', cfg_file, path, '--work-dir', str(tmp_path / 'w'), ok=False)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert 'IncompleteCheckpointError' in last and path in last and 'covers 0 of the' in last
    assert 'm_vIoU' not in proc.stdout + proc.stderr
    proc = _run('tools/test.py', cfg_file, path, '--work-dir', str(tmp_path / 'w'),
                '--allow-partial-load')
    assert 'm_vIoU' in proc.stdout + proc.stderr
    corrupt = _bad_checkpoints(good, tmp_path)['zero_bytes']
    proc = _run('tools/test.py', cfg_file, corrupt, '--work-dir', str(tmp_path / 'w'), ok=False)
    last = proc.stderr.strip().splitlines()[-1]
    assert 'CorruptCheckpointError' in last and corrupt in last


def test_misspelt_hook_argument_stops_training_at_start_up(trained, tmp_path):
    cfg_file, _ = trained
    proc = _run(
        'tools/train.py',
        cfg_file,
        '--work-dir',
        str(tmp_path / 'w'),
        '--cfg-options',
        'default_hooks.checkpoint.intervel=1',
        ok=False)
    assert proc.returncode != 0
    assert "CheckpointHook has no argument 'intervel' (did you mean 'interval'?)" in \
        proc.stderr
    assert not osp.exists(tmp_path / 'w')  # nothing started: no work dir, no epoch
    proc = _run(
        'tools/train.py',
        cfg_file,
        '--work-dir',
        str(tmp_path / 'w'),
        '--cfg-options',
        'max_epochs=1',
        ok=False)
    assert "did you mean 'train_cfg.max_epochs'" in proc.stderr


def test_max_epochs_rescales_the_shipped_schedule(tiny_synth_root, tmp_path):
    """With the shipped synthetic schedule, ``train_cfg.max_epochs=1`` ends the cosine decay
    after that one epoch (it ran for 8 when the schedule repeated max_epochs)."""
    register_all_modules()
    cfg = tiny_synth_cfg(tiny_synth_root, str(tmp_path / 'w'), max_epochs=1)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    shipped = Config.fromfile(SYNTH_CFG)
    cfg.param_scheduler = shipped.param_scheduler
    cfg.train_cfg = shipped.train_cfg
    cfg.merge_from_dict({'train_cfg.max_epochs': 1})
    runner = Runner.from_cfg(cfg)
    runner.train()
    iters = len(runner.train_dataloader)
    cosine = runner.param_schedulers[-1]
    assert runner.epoch == 1 and cosine.end == iters and cosine.T_max == iters
    base = shipped.optim_wrapper.optimizer.lr
    lr = runner.optim_wrapper.optimizer.param_groups[0]['lr']
    assert lr < 0.2 * base  # decayed within the epoch (> 0.9 * base over 8 epochs)
