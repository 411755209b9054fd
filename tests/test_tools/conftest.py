import os.path as osp

import pytest
from mmengine.config import Config

from mmstvg.datasets.synthetic import generate_synthetic_stvg
from mmstvg.testing import TINY_ROBERTA, get_tiny_baseline_cfg, set_synthetic_data_root

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SYNTH_CFG = osp.join(REPO, 'configs/baselines/baseline_r18-c16-s8_1xb8-t32-8e_synth.py')


def generate_tiny_synth(root: str, num_train: int = 8, num_val: int = 4, num_test: int = 2,
                        seed: int = 3) -> str:
    """Write a tiny synthetic benchmark (16 frames of 64x64 at 8 fps per query) to ``root``."""
    generate_synthetic_stvg(root, num_train=num_train, num_val=num_val, num_test=num_test,
                            num_frames=16, size=64, fps=8, seed=seed, workers=1, log=None)
    return root


@pytest.fixture(scope='session')
def tiny_synth_root(tmp_path_factory):
    """A tiny synthetic benchmark: 8 train, 4 val, 2 test queries."""
    return generate_tiny_synth(str(tmp_path_factory.mktemp('synth')))


def tiny_synth_cfg(data_root: str, work_dir: str, max_epochs: int = 2) -> Config:
    """The real synthetic baseline config, shrunk to seconds: tiny model, 8 frames at 64x64,
    batch 2, one non-persistent worker (seeded the same way every epoch)."""
    cfg = Config.fromfile(SYNTH_CFG)
    set_synthetic_data_root(cfg, data_root)
    model = get_tiny_baseline_cfg(text_encoder=dict(
        type='HFTextEncoder', config=dict(TINY_ROBERTA, pad_token_id=0)))
    cfg.model = Config(dict(model=model)).model
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[name]
        loader.batch_size = 2
        loader.num_workers = 1
        loader.persistent_workers = False
        for t in loader.dataset.pipeline:
            if t.type == 'SampleSTVGFrames':
                t.num_frames = 8
            if t.type == 'mmaction.Resize':
                t.scale = (64, 64)
    cfg.train_cfg.max_epochs = max_epochs
    cfg.train_cfg.val_interval = max_epochs
    cfg.param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True,
                                begin=0, end=max_epochs, eta_min_ratio=0.1)]
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=0, deterministic=False)
    return cfg


def use_shipped_loader_settings(cfg: Config) -> Config:
    """Give ``cfg``'s dataloaders the worker settings of the shipped synthetic config
    (``num_workers``, ``persistent_workers``), as a resume test must use."""
    shipped = Config.fromfile(SYNTH_CFG)
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(name):
            for key in ('num_workers', 'persistent_workers'):
                cfg[name][key] = shipped[name][key]
    return cfg
