"""Resume is exact: training 2 epochs equals training 1 epoch and resuming for the second, bit
for bit (seeded, CPU), with the shipped synthetic dataloader settings (2 persistent workers,
random flips and frame offsets in the train pipeline) and with the pipeline in the main
process (``num_workers=0``), validation after every epoch consuming random numbers in
between."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmstvg.utils import register_all_modules
from .conftest import SYNTH_CFG, tiny_synth_cfg, use_shipped_loader_settings

pytestmark = pytest.mark.slow


def _cfg(root, work_dir, workers):
    cfg = tiny_synth_cfg(root, work_dir)
    if workers == 'shipped':
        use_shipped_loader_settings(cfg)
    else:
        for name in ('train_dataloader', 'val_dataloader'):
            cfg[name].num_workers, cfg[name].persistent_workers = 0, False
    cfg.train_cfg.val_interval = 1
    return cfg


def test_the_test_uses_the_shipped_settings():
    shipped = Config.fromfile(SYNTH_CFG).train_dataloader
    assert shipped.num_workers >= 2 and shipped.persistent_workers
    assert any(t.type == 'STVGFlip' and t.flip_ratio > 0 for t in shipped.dataset.pipeline)


@pytest.mark.parametrize('workers', ['shipped', 'main_process'])
def test_train_two_epochs_equals_one_plus_resume(tiny_synth_root, tmp_path, workers):
    register_all_modules()
    cfg = _cfg(tiny_synth_root, str(tmp_path / 'full'), workers)
    Runner.from_cfg(cfg).train()
    epoch1 = str(tmp_path / 'full' / 'epoch_1.pth')
    full = torch.load(str(tmp_path / 'full' / 'epoch_2.pth'), weights_only=True)

    cfg = _cfg(tiny_synth_root, str(tmp_path / 'resumed'), workers)
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
