import os.path as osp

import pytest
from mmengine.config import Config

from mmstvg.testing import tiny_synth_cfg  # noqa: F401  (imported by the tool tests)
from mmstvg.testing import BASELINE_CONFIG, generate_tiny_synth, get_config_file

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SYNTH_CFG = get_config_file(BASELINE_CONFIG)


@pytest.fixture(scope='session')
def tiny_synth_root(tmp_path_factory):
    """A tiny synthetic benchmark: 8 train, 4 val, 2 test queries."""
    return generate_tiny_synth(str(tmp_path_factory.mktemp('synth')))


def use_shipped_loader_settings(cfg: Config) -> Config:
    """Give ``cfg``'s dataloaders the worker settings of the shipped synthetic config
    (``num_workers``, ``persistent_workers``), as a resume test must use."""
    shipped = Config.fromfile(SYNTH_CFG)
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(name):
            for key in ('num_workers', 'persistent_workers'):
                cfg[name][key] = shipped[name][key]
    return cfg
