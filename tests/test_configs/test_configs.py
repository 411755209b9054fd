"""Every config parses, its components resolve in the registries, and its model builds."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from mmstvg.registry import DATASETS, METRICS, MODELS, TRANSFORMS
from mmstvg.testing import TINY_ROBERTA
from mmstvg.utils import register_all_modules, validate_config

register_all_modules()
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '*', '*.py'))
                 if '_base_' not in p)


def test_configs_found():
    assert len(CONFIGS) >= 8


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_config_builds(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmstvg'
    model = cfg.model.to_dict()
    # real-data configs name local pretrained files that tests cannot have: swap in random
    # weights of the same kind, keep everything else as configured
    text = model.get('text_encoder')
    if text and text.get('pretrained'):
        text.pop('pretrained')
        text['config'] = TINY_ROBERTA
    if text and text.get('glove_file'):
        text.pop('glove_file')
        text.pop('vocab_file', None)
        text['vocab_size'] = 100
    if model.get('backbone', {}).get('init_cfg', {}) and \
            model['backbone']['init_cfg'].get('type') == 'Pretrained':
        model['backbone'].pop('init_cfg')
    assert MODELS.build(model) is not None
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        if not loader:
            continue
        assert DATASETS.get(loader.dataset.type) is not None
        for transform in loader.dataset.pipeline:
            assert TRANSFORMS.build(transform) is not None
    for name in ('val_evaluator', 'test_evaluator'):
        if cfg.get(name):
            assert METRICS.build(cfg[name]) is not None


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_config_passes_start_up_validation(path):
    """What tools/train.py and tools/test.py check before building the runner: every hook,
    optimizer, scheduler and loop argument exists, no top-level key is a typo; and every
    config has the hooks that make resume exact and refuse checkpoints missing weights."""
    cfg = validate_config(Config.fromfile(path))
    hooks = {h.type for h in cfg.default_hooks.values() if h}
    assert {'EpochSeedHook', 'CheckpointCoverageHook'} <= hooks


TRAIN_CONFIGS = [p for p in CONFIGS if 'trivial' not in osp.basename(p)]


@pytest.mark.parametrize('path', TRAIN_CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_auto_scale_lr_matches_the_configured_batch(path):
    """``--auto-scale-lr`` scales from the batch the schedule was made for: GPUs x batch per
    GPU of the config's own name (``{gpus}xb{batch}``), or the paper's for unnamed ones."""
    import re
    cfg = Config.fromfile(path)
    assert cfg.get('auto_scale_lr') and cfg.auto_scale_lr.enable is False
    m = re.search(r'_(\d+)xb(\d+)', osp.basename(path))
    if m:
        gpus, per_gpu = int(m.group(1)), int(m.group(2))
        assert cfg.train_dataloader.batch_size == per_gpu
        assert cfg.auto_scale_lr.base_batch_size == gpus * per_gpu
    else:
        assert cfg.auto_scale_lr.base_batch_size == cfg.train_dataloader.batch_size
