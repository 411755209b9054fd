"""Start-up validation of a merged config: component arguments checked against the
signatures of the registered classes (before any training), top-level keys that nothing
would read (unknown keys, config variables overridden after they were used), the types of
``--cfg-options`` values, and config files that mmengine cannot load (syntax errors, circular
``_base_``) named before it tries."""
import copy
import os.path as osp

import pytest
from mmengine.config import Config

from mmstvg.utils import (ConfigError, load_config, register_all_modules, validate_cfg_options,
                          validate_config)
from mmstvg.utils.config_check import CircularBaseError, ConfigSyntaxError

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
    assert 'Pass --data-root DIR instead' in str(info.value)  # the flag that moves it
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


@pytest.mark.parametrize(
    'key,value,message',
    [
        # the loop's signature: EpochBasedTrainLoop(max_epochs: int), the config's 8
        ('train_cfg.max_epochs', 'abc', "--cfg-options train_cfg.max_epochs='abc': expected int "
         '(EpochBasedTrainLoop(max_epochs: int); the config has 8), got str'),
        ('train_cfg.max_epochs', 1.5, 'expected int (EpochBasedTrainLoop(max_epochs: int); '
         'the config has 8), got float'),
        ('train_cfg.max_epochs', None, 'expected int (EpochBasedTrainLoop(max_epochs: int); '
         'the config has 8), got None'),
        ('train_cfg.dynamic_intervals', 3, 'expected list or None (EpochBasedTrainLoop('
         'dynamic_intervals: Optional[List[Tuple[int, int]]])), got int'),  # not in the config
        ('train_dataloader.batch_size', 'eight', 'expected int or None (DataLoader(batch_size: '
         'int | None); the config has 8), got str'),
        ('train_dataloader.persistent_workers', 'yes', 'expected bool (DataLoader('
         'persistent_workers: bool); the config has True), got str'),
        ('default_hooks.checkpoint.interval', 'often', 'expected int (CheckpointHook(interval: '
         'int); the config has 1), got str'),
        ('resume', 'maybe', 'expected bool (Runner(resume: bool); the config has False), got '
         'str'),
        # no annotation to go by (torch's lr is float or Tensor): the config's number
        ('optim_wrapper.optimizer.lr', 'fast', 'expected float (the config has 0.002), got str'),
        ('randomness.seed', 'abc', 'expected int (the config has 0), got str'),
    ])
def test_cfg_options_of_the_wrong_type_name_key_and_type(synth, key, value, message):
    with pytest.raises(ConfigError) as info:
        validate_cfg_options(synth, {key: value})
    assert message in str(info.value)


def test_cfg_options_of_the_right_type_pass(synth):
    """What the command line gives for valid overrides (DictAction has turned numbers,
    true/false and None into their types)."""
    validate_cfg_options(
        synth,
        {
            'train_cfg.max_epochs': 1,
            'train_cfg.val_interval': 2.0,  # an integral float, e.g. 1e3
            'optim_wrapper.optimizer.lr': 1,  # an int where a float is
            'optim_wrapper.optimizer.weight_decay': 0.0,
            'optim_wrapper.clip_grad': None,
            'optim_wrapper.loss_scale': 'dynamic',  # Union[float, str, dict] (AmpOptimWrapper)
            'optim_wrapper.accumulative_counts': 2,
            'train_dataloader.num_workers': 0,
            'train_dataloader.persistent_workers': False,
            'train_dataloader.batch_size': None,  # Optional[int]
            'train_dataloader.dataset.ann_file': 'anno_v2/query_v2.json',
            'default_hooks.checkpoint.max_keep_ckpts': 2,
            'default_hooks.checkpoint.save_best': 'auto',  # None in the hook's default
            'default_hooks.logger.interval': 5,
            'load_from': None,  # Optional[str]
            'resume': True,
            'work_dir': 123,  # a str the command line cannot quote
            'randomness.seed': 1,
            'val_cfg.fp16': True,
        })


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def test_circular_base_is_named(tmp_path, monkeypatch):
    """mmengine recurses through the files until RecursionError."""
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / 'a.py', "_base_ = ['b.py']\nx = 1\n")
    _write(tmp_path / 'b.py', "_base_ = ['a.py']\ny = 2\n")
    with pytest.raises(CircularBaseError) as info:
        load_config('a.py')
    assert str(info.value).startswith('circular _base_: a.py -> b.py -> a.py')
    assert info.value.files == ['a.py', 'b.py', 'a.py']
    # through a sub-directory and a relative path, from a file outside the cycle
    _write(tmp_path / 'top.py', "_base_ = ['cfg/x.py']\n")
    _write(tmp_path / 'cfg/x.py', "_base_ = ['../y.py', 'z.py']\n")
    _write(tmp_path / 'cfg/z.py', 'z = 1\n')
    _write(tmp_path / 'y.py', "_base_ = './cfg/x.py'\n")
    with pytest.raises(
            CircularBaseError, match=r'^circular _base_: cfg/x.py -> y.py -> '
            r'cfg/x.py \('):
        load_config('top.py')
    _write(tmp_path / 'self.py', "_base_ = ['self.py']\n")
    with pytest.raises(CircularBaseError, match=r'^circular _base_: self.py -> self.py \('):
        load_config('self.py')
    # a base shared by two files is no cycle
    _write(tmp_path / 'diamond.py', "_base_ = ['cfg/z.py', 'w.py']\n")
    _write(tmp_path / 'w.py', "_base_ = ['cfg/v.py']\nw = 1\n")
    _write(tmp_path / 'cfg/v.py', 'v = 1\n')
    assert load_config('diamond.py').to_dict() == dict(z=1, w=1, v=1)


def test_syntax_error_names_file_line_and_text(tmp_path, monkeypatch):
    """mmengine says ``SyntaxError: invalid syntax (<unknown>, line 3)``."""
    monkeypatch.chdir(tmp_path)
    bad = 'model = dict(\n    depth=50,\n    lr=0.1 +,\n)\n'
    _write(tmp_path / 'bad.py', bad)
    with pytest.raises(ConfigSyntaxError) as info:
        load_config('bad.py')
    assert str(info.value) == ('syntax error in config file bad.py, line 3, column 13: '
                               'invalid syntax\n    lr=0.1 +,\n            ^')
    assert (info.value.filename, info.value.lineno) == ('bad.py', 3)
    # in a _base_ file, two levels down: the file and the chain that leads to it
    _write(tmp_path / 'configs/_base_/models/m.py', bad)
    _write(tmp_path / 'configs/_base_/default.py', "_base_ = ['models/m.py']\n")
    _write(tmp_path / 'configs/exp.py', "_base_ = ['_base_/default.py']\nx = 1\n")
    with pytest.raises(ConfigSyntaxError) as info:
        load_config('configs/exp.py')
    assert str(info.value) == (
        'syntax error in config file configs/_base_/models/m.py, line 3, column 13: invalid '
        'syntax\n    lr=0.1 +,\n            ^\n(configs/_base_/models/m.py is a _base_ of '
        'configs/exp.py: configs/exp.py -> configs/_base_/default.py -> '
        'configs/_base_/models/m.py)')
    _write(tmp_path / 'open.py', 'x = dict(\n    a=[1, 2,\n')
    with pytest.raises(
            ConfigSyntaxError,
            match=r"open.py, line 2, column 7: '\[' was never "
            r'closed\n    a=\[1, 2,'):
        load_config('open.py')
    # mmengine's placeholders are valid Python before substitution: left to mmengine
    _write(tmp_path / 'z.py', 'z = 1\n')
    _write(tmp_path / 'ok.py', "_base_ = ['z.py']\ny = {{_base_.z}}\n")
    assert load_config('ok.py').y == 1
