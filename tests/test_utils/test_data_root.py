"""--data-root / --pretrained-root (mmstvg.utils.data_root): one flag moves a dataset, or the
pretrained-model folder, everywhere a shipped config uses it, positional pipeline keys
included, and nothing else."""
import copy
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from mmstvg.utils import ConfigError, load_config
from mmstvg.utils.data_root import (PRETRAINED_ROOT, dataset_roots, move_data_root,
                                    move_pretrained_root, move_root)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '*', '*.py')) if '_base_' not in p)
SYNTH = osp.join(REPO, 'configs', 'gkcmn', 'gkcmn_r3d18-tiny_1xb8-t32-8e_synth.py')


def _strings(node, path=''):
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _strings(v, f'{path}.{k}' if path else k)
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            yield from _strings(v, f'{path}.{i}')


def _under(value, root):
    return value == root or value.startswith(root + '/')


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_each_flag_moves_every_use_of_its_folder(path):
    """--data-root: every dataset reads the new folder, every path under the old one (and
    only those) now lies under the new one at the same place. --pretrained-root: no path
    is left under data/pretrained (a config with none there refuses the flag)."""
    loaded = Config.fromfile(path)
    cfg = copy.deepcopy(loaded)
    (old, ) = dataset_roots(cfg)
    before = dict(_strings(cfg.to_dict()))
    changed = move_data_root(cfg, '/mnt/elsewhere/x')
    after = dict(_strings(cfg.to_dict()))
    assert not [k for k, v in after.items() if _under(v, old)]
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(name):
            assert cfg[name].dataset.data_root == '/mnt/elsewhere/x'
    assert sorted(changed) == sorted(k for k, v in before.items() if _under(v, old))
    for key in changed:
        assert after[key] == '/mnt/elsewhere/x' + before[key][len(old):]

    cfg = copy.deepcopy(loaded)
    if not [v for v in before.values() if _under(v, PRETRAINED_ROOT)]:
        with pytest.raises(ConfigError, match='nothing to move'):
            move_pretrained_root(cfg, '/models')
        return
    assert move_pretrained_root(cfg, '/models')
    moved = [v for _, v in _strings(cfg.to_dict())]
    assert not [v for v in moved if _under(v, PRETRAINED_ROOT)]
    assert any(v.startswith('/models/') for v in moved)


def test_the_synthetic_tokenizer_moves_with_the_data():
    cfg = Config.fromfile(SYNTH)
    changed = move_data_root(cfg, 'mine/synth')
    assert 'train_dataloader.dataset.pipeline.6.tokenizer.pretrained' in changed
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        tok = [t for t in loader.dataset.pipeline if t.type == 'TokenizeText'][0]
        assert tok.tokenizer.pretrained == 'mine/synth/tokenizer'
    assert cfg.data_root == 'mine/synth'  # the variable too (the dumped config agrees)


def test_pretrained_root_of_the_real_data_configs():
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'gkcmn', 'gkcmn_i3d_vidstg.py'))
    move_pretrained_root(cfg, '/models')
    assert cfg.model.text_encoder.glove_file == '/models/glove_vocab.txt'
    assert cfg.train_dataloader.dataset.pipeline[3].vocab_file == '/models/glove_vocab.txt'
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'stvgformer',
                 'stvgformer_r101-mdetr-pre-slowfast_8xb1-t48-10e_hcstvg-v2.py'))
    move_pretrained_root(cfg, '/models')
    assert cfg.model.text_encoder.pretrained == '/models/roberta-base'
    assert cfg.model.init_cfg.checkpoint == '/models/mdetr_r101_roberta_mmstvg.pth'


def test_only_whole_path_components_move_and_work_dir_stays():
    cfg = Config(
        dict(
            data_root='data/x',
            work_dir='data/x/work',
            train_dataloader=dict(
                dataset=dict(
                    data_root='./data/x/',
                    ann_file='a.json',
                    pipeline=[
                        dict(type='T', path='data/x_other/t', url='s3://data/x/y'),
                        dict(type='T', paths=('data/x/a', 'b'))
                    ]))))
    cfg.val_dataloader = cfg.train_dataloader  # one object under two keys: moved once
    changed = move_data_root(cfg, 'data/x/inner')
    ds = cfg.train_dataloader.dataset
    assert ds.data_root == 'data/x/inner'
    assert ds.pipeline[0].path == 'data/x_other/t' and ds.pipeline[0].url == 's3://data/x/y'
    assert tuple(ds.pipeline[1].paths) == ('data/x/inner/a', 'b')
    assert cfg.work_dir == 'data/x/work' and cfg.data_root == 'data/x/inner'
    assert 'work_dir' not in changed


def test_datasets_of_two_folders_are_refused():
    cfg = Config.fromfile(SYNTH)
    cfg.val_dataloader.dataset.data_root = 'data/other'
    with pytest.raises(ConfigError, match='2 folders'):
        move_data_root(cfg, 'x')
    with pytest.raises(ConfigError, match='no dataset'):
        move_data_root(Config(dict(model=dict(type='M'))), 'x')
    assert move_root(Config(dict(a='data/y')), 'data/x', 'z') == []


def test_load_config_applies_the_flags_before_the_options():
    cfg = load_config(
        SYNTH, {'val_dataloader.dataset.ann_file': 'anno_v2/test_v2.json'},
        data_root='/d',
        pretrained_root=None)
    assert cfg.train_dataloader.dataset.data_root == '/d'
    assert cfg.val_dataloader.dataset.ann_file == 'anno_v2/test_v2.json'
