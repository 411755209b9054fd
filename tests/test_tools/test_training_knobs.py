"""Training knobs through mmengine's Runner: EMA of the weights (configs/_base_/ema.py) and
gradient accumulation (optim_wrapper.accumulative_counts)."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmstvg.utils import register_all_modules
from .conftest import REPO, tiny_synth_cfg

pytestmark = pytest.mark.slow


def test_ema_and_gradient_accumulation(tiny_synth_root, tmp_path):
    register_all_modules()
    cfg = tiny_synth_cfg(tiny_synth_root, str(tmp_path / 'w'), max_epochs=1)
    cfg.custom_hooks = Config.fromfile(osp.join(REPO, 'configs/_base_/ema.py')).custom_hooks
    cfg.optim_wrapper.accumulative_counts = 2
    runner = Runner.from_cfg(cfg)
    runner.train()
    ckpt = torch.load(str(tmp_path / 'w' / 'epoch_1.pth'), map_location='cpu', weights_only=True)
    # 8 training queries, batch 2: 4 iterations, one optimiser step every 2
    assert ckpt['meta']['iter'] == 4
    steps = {int(s['step']) for s in ckpt['optimizer']['state'].values()}
    assert steps == {2}
    ema = ckpt['ema_state_dict']
    assert float(ema['steps']) == 4
    averaged = {k[len('module.'):]: v for k, v in ema.items() if k.startswith('module.')}
    differ = [
        k for k, v in ckpt['state_dict'].items()
        if v.is_floating_point() and not torch.equal(v, averaged[k])
    ]
    assert differ  # the EMA weights are not the raw weights


def test_tensorboard_backend(tiny_synth_root, tmp_path):
    """docs/user_guides/train_test.md: TensorBoard as one more visualisation backend."""
    pytest.importorskip('tensorboard')
    import glob
    register_all_modules()
    cfg = tiny_synth_cfg(tiny_synth_root, str(tmp_path / 'tb'), max_epochs=1)
    cfg.visualizer.vis_backends = [
        dict(type='LocalVisBackend'),
        dict(type='TensorboardVisBackend')
    ]
    cfg.visualizer.name = 'tensorboard_test'  # a fresh instance (mmengine keeps them by name)
    Runner.from_cfg(cfg).train()
    events = glob.glob(str(tmp_path / 'tb' / '*' / 'vis_data' / 'events.out.tfevents.*'))
    assert events and osp.getsize(events[0]) > 0
