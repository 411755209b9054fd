"""Resume restores model, optimiser, scheduler and iteration exactly: training 2 epochs equals
training 1 epoch and resuming for the second, bit for bit (seeded, CPU)."""
import os.path as osp

import pytest
import torch
from mmengine.runner import Runner

from mmstvg.utils import register_all_modules

from .conftest import tiny_synth_cfg

pytestmark = pytest.mark.slow


def test_train_two_epochs_equals_one_plus_resume(tiny_synth_root, tmp_path):
    register_all_modules()
    cfg = tiny_synth_cfg(tiny_synth_root, str(tmp_path / 'full'))
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    Runner.from_cfg(cfg).train()
    epoch1 = str(tmp_path / 'full' / 'epoch_1.pth')
    full = torch.load(str(tmp_path / 'full' / 'epoch_2.pth'), weights_only=True)

    cfg = tiny_synth_cfg(tiny_synth_root, str(tmp_path / 'resumed'))
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.resume, cfg.load_from = True, epoch1  # what `tools/train.py --resume CKPT` sets
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == full['meta']['iter'] and runner.epoch == 2
    resumed = torch.load(str(tmp_path / 'resumed' / 'epoch_2.pth'), weights_only=True)

    assert full['state_dict'].keys() == resumed['state_dict'].keys()
    for k, v in full['state_dict'].items():
        assert torch.equal(v, resumed['state_dict'][k]), k
    for (k, a), b in zip(full['optimizer']['state'].items(),
                         resumed['optimizer']['state'].values()):
        for name in a:
            assert torch.equal(torch.as_tensor(a[name]), torch.as_tensor(b[name])), (k, name)
    assert full['param_schedulers'] == resumed['param_schedulers']
    # and the weights really changed during the second epoch
    first = torch.load(epoch1, weights_only=True)['state_dict']
    assert any(not torch.equal(first[k], v) for k, v in full['state_dict'].items())
    assert osp.exists(epoch1)
