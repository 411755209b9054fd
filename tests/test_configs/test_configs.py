"""Every config parses, its components resolve in the registries, and its model builds."""
import ast
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from mmstvg.registry import DATASETS, METRICS, MODELS, TRANSFORMS
from mmstvg.testing import TINY_ROBERTA
from mmstvg.testing.tiny_mllm import tiny_mllm_config
from mmstvg.utils import register_all_modules, validate_config

register_all_modules()
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '*', '*.py')) if '_base_' not in p)


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
    if model.get('type') == 'MLLMGrounder' and model['model'].get('pretrained'):
        # a local checkpoint of 7-8B parameters: the tiny random model of the same family
        name = osp.basename(path)
        family = 'qwen3_vl' if 'qwen3-vl' in name else \
            'qwen2_5_vl' if 'qwen2-5-vl' in name else 'qwen2_vl'
        model['model'] = dict(config=tiny_mllm_config(family))
        model['processor'] = dict(
            model.get('processor') or {},
            family=family,
            tokenizer=dict(type='tiny_qwen_tokenizer'))
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


@pytest.mark.parametrize('path', TRAIN_CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_a_checkpoint_every_epoch(path):
    """Every training config saves a checkpoint at the end of every epoch (an interrupted run
    resumes from the last one), keeps a bounded number of them, as mmdet's configs do, and
    writes them atomically (a run killed while saving leaves no truncated file)."""
    cfg = Config.fromfile(path)
    ckpt = cfg.default_hooks.checkpoint
    assert ckpt.type == 'CheckpointHook'
    assert ckpt.get('interval', 1) == 1 and ckpt.get('by_epoch', True)
    assert ckpt.get('max_keep_ckpts', -1) > 0
    assert ckpt.backend_args == dict(backend='atomic_local')


def _base_files(path):
    tree = ast.parse(open(path).read())
    return next(
        ast.literal_eval(n.value) for n in tree.body
        if isinstance(n, ast.Assign) and getattr(n.targets[0], 'id', None) == '_base_')


TRIVIAL = sorted(glob.glob(osp.join(REPO, 'configs', 'baselines', 'trivial_centre-box_*.py')))


@pytest.mark.parametrize('path', TRIVIAL, ids=osp.basename)
def test_trivial_configs_inherit_the_one_trivial_primitive(path):
    """The trivial predictor is defined once (``_base_/models/trivial_centre_box.py``); each
    dataset's config only picks its dataset and tests that dataset's split with it."""
    primitive = Config.fromfile(
        osp.join(REPO, 'configs', '_base_', 'models', 'trivial_centre_box.py'))
    cfg = Config.fromfile(path)
    bases = _base_files(path)
    assert '../_base_/models/trivial_centre_box.py' in bases
    assert 'TrivialGrounder' not in open(path).read()  # no copy of the model
    assert cfg.model == primitive.model == dict(type='TrivialGrounder', box_ratio=(0.5, 0.5))
    assert cfg.test_dataloader.dataset.pipeline == primitive.trivial_test_pipeline
    assert cfg.test_pipeline == primitive.trivial_test_pipeline
    assert cfg.test_cfg == dict(type='TestLoop')
    assert cfg.train_dataloader is None and cfg.val_dataloader is None
    # the rest of the test split is the dataset base's
    ds_base = [b for b in bases if '/datasets/' in b]
    assert len(ds_base) == 1
    data = Config.fromfile(osp.join(osp.dirname(path), ds_base[0]))
    expected = dict(
        data.test_dataloader.to_dict(),
        dataset=dict(
            data.test_dataloader.dataset.to_dict(), pipeline=primitive.trivial_test_pipeline))
    assert cfg.test_dataloader.to_dict() == expected
    assert cfg.test_evaluator == data.test_evaluator
