import copy
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from mmstvg.testing import BASELINE_CONFIG, generate_tiny_synth, get_config_file, tiny_synth_cfg
from mmstvg.utils import register_all_modules

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SYNTH_CFG = get_config_file(BASELINE_CONFIG)


@pytest.fixture(scope='session')
def tiny_synth_root(tmp_path_factory):
    """A tiny synthetic benchmark: 8 train, 4 val, 2 test queries."""
    return generate_tiny_synth(str(tmp_path_factory.mktemp('synth')))


@pytest.fixture(scope='session')
def trained(tiny_synth_root, tmp_path_factory):
    """The tiny config (a file) and its checkpoint after one training epoch (read only)."""
    tmp = tmp_path_factory.mktemp('trained')
    cfg = tiny_synth_cfg(tiny_synth_root, str(tmp / 'work'), max_epochs=1)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg_file = str(tmp / 'tiny.py')
    cfg.dump(cfg_file)
    register_all_modules()
    Runner.from_cfg(copy.deepcopy(cfg)).train()
    return cfg_file, str(tmp / 'work' / 'epoch_1.pth')


def use_shipped_loader_settings(cfg: Config) -> Config:
    """Give ``cfg``'s dataloaders the worker settings of the shipped synthetic config
    (``num_workers``, ``persistent_workers``), as a resume test must use."""
    shipped = Config.fromfile(SYNTH_CFG)
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(name):
            for key in ('num_workers', 'persistent_workers'):
                cfg[name][key] = shipped[name][key]
    return cfg
