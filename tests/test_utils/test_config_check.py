"""Start-up validation of a merged config: component arguments checked against the
signatures of the registered classes (before any training), and top-level keys that nothing
would read (unknown keys, config variables overridden after they were used)."""
import copy
import os.path as osp

import pytest
from mmengine.config import Config

from mmstvg.utils import ConfigError, register_all_modules, validate_cfg_options, validate_config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SYNTH = osp.join(REPO, 'configs/baselines/baseline_r18-c16-s8_1xb8-t32-8e_synth.py')
register_all_modules(init_default_scope=False)


@pytest.fixture(scope='module')
def synth():
    return Config.fromfile(SYNTH)


def _merged(cfg, options):
    cfg = copy.deepcopy(cfg)
    cfg.merge_from_dict(options)
    return cfg


@pytest.mark.parametrize('key,value,message', [
    ('default_hooks.checkpoint.intervel', 1, "CheckpointHook has no argument 'intervel' "
     "(did you mean 'interval'?)"),
    ('default_hooks.logger.intreval', 1, "did you mean 'interval'"),
    ('optim_wrapper.optimizer.lrr', 1e-3, "AdamW has no argument 'lrr' (did you mean 'lr'?)"),
    ('optim_wrapper.accumulative_count', 2, "did you mean 'accumulative_counts'"),
    ('optim_wrapper.clip_grad.max_nrom', 1, "did you mean 'max_norm'"),
    ('param_scheduler.1.eta_min_ration', 0.1, "CosineAnnealingLR has no argument"),
    ('train_cfg.max_epoch', 1, "did you mean 'max_epochs'"),
    ('val_cfg.fp61', True, "did you mean 'fp16'"),
    ('default_hooks.checkpoint.type', 'CheckpointHok', 'is not registered'),
    ('custom_hooks', [dict(type='EMAHook', momentum=1e-4, update_bufers=True)
                      ], "did you mean 'update_buffers'"),
])
def test_misspelt_arguments_fail_at_start_up(synth, key, value, message):
    cfg = _merged(synth, {key: value})
    with pytest.raises(ConfigError) as info:
        validate_config(cfg)
    assert message in str(info.value) and key.split('.')[0] in str(info.value)


def test_correct_arguments_pass(synth):
    validate_config(
        _merged(
            synth, {
                'default_hooks.checkpoint.interval': 2,
                'optim_wrapper.accumulative_counts': 2,
                'custom_hooks':
                [dict(type='EMAHook', momentum=1e-4, update_buffers=True, priority=49)],
                'optim_wrapper.type': 'AmpOptimWrapper',
                'optim_wrapper.loss_scale': 'dynamic',
                'train_cfg.max_epochs': 1
            }))


def test_cfg_options_may_not_set_unknown_keys_or_variables(synth):
    with pytest.raises(ConfigError, match="did you mean 'load_from'"):
        validate_cfg_options(synth, {'load_fromm': 'x.pth'})
    # a variable of the schedule file before: now it is not a key at all
    with pytest.raises(ConfigError, match="did you mean 'train_cfg.max_epochs'"):
        validate_cfg_options(synth, {'max_epochs': 1})
    with pytest.raises(ConfigError, match='variable of the config files') as info:
        validate_cfg_options(synth, {'data_root': '/elsewhere'})
    assert 'train_dataloader.dataset.data_root' in str(info.value)
    with pytest.raises(ConfigError, match='variable of the config files'):
        validate_cfg_options(synth, {'train_pipeline.5.flip_ratio': 0.0})
    validate_cfg_options(
        synth, {
            'load_from': 'x.pth',
            'allow_partial_load': True,
            'train_cfg.max_epochs': 1,
            'experiment_name': 'x'
        })


def test_top_level_typo_in_a_config_file(tmp_path):
    path = tmp_path / 'typo.py'
    path.write_text(f'_base_ = [{SYNTH!r}]\nload_fromm = "x.pth"\n')
    with pytest.raises(ConfigError, match="'load_fromm'.*did you mean 'load_from'"):
        validate_config(Config.fromfile(str(path)))
    # variables are fine, used or not (a dumped config holds them unused)
    path.write_text(f'_base_ = [{SYNTH!r}]\nroot = "x"\nload_from = root + ".pth"\n')
    validate_config(Config.fromfile(str(path)))
    dumped = tmp_path / 'dumped.py'
    Config.fromfile(SYNTH).dump(str(dumped))
    validate_config(Config.fromfile(str(dumped)))


def test_schedules_end_with_train_cfg(synth):
    """train_cfg.max_epochs is the single source of the schedule's length: no scheduler
    repeats it (mmengine ends them at max_epochs)."""
    for path in (SYNTH, osp.join(REPO, 'configs/gkcmn/gkcmn_i3d_vidstg.py')):
        cfg = Config.fromfile(path)
        cosine = [s for s in cfg.param_scheduler if s.type == 'CosineAnnealingLR']
        assert cosine and all('end' not in s and 'T_max' not in s for s in cosine)
