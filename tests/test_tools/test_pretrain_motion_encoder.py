"""tools/misc/pretrain_motion_encoder.py: the synthetic stand-in for the Kinetics weights of
CG-STVG's / TA-STVG's motion branch, and the config that loads it."""
import importlib.util
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmstvg.datasets.synthetic.scene import ACTIONS
from mmstvg.registry import MODELS
from mmstvg.testing import get_config_file
from mmstvg.utils import register_all_modules
from mmstvg.utils.data_root import move_data_root

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = 'tastvg/tastvg_r18-c16-tiny-motionpre_1xb8-t32-8e_synth.py'


def _load(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, osp.join(REPO, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pretrain_tool = _load('pretrain_motion_encoder', 'tools/misc/pretrain_motion_encoder.py')


def test_frame_action_labels_by_hand():
    actors = [
        dict(actions=[dict(action='moves left', span=[2, 5])]),
        dict(actions=[dict(action='jumps', span=[4, 6]),
                      dict(action='moves up', span=[0, 1])]),
        dict(actions=[]),
    ]
    classes = ('jumps', 'moves left', 'moves right', 'moves up')
    labels = pretrain_tool.frame_action_labels(actors, [0, 2, 4, 5, 6], classes)
    expected = np.array(
        [
            [0, 0, 0, 1],  # frame 0: moves up [0, 1)
            [0, 1, 0, 0],  # frame 2: moves left [2, 5)
            [1, 1, 0, 0],  # frame 4: both
            [1, 0, 0, 0],  # frame 5: jumps [4, 6); the move ended (half-open)
            [0, 0, 0, 0],  # frame 6: nothing
        ],
        dtype=np.float32)
    np.testing.assert_array_equal(labels, expected)
    flipped = pretrain_tool.frame_action_labels(actors, [0, 2, 4, 5, 6], classes, flip=True)
    np.testing.assert_array_equal(flipped, expected[:, [0, 2, 1, 3]])  # left <-> right
    with pytest.raises(ValueError, match="unknown action 'waves'"):
        pretrain_tool.frame_action_labels([dict(actions=[dict(action='waves', span=[0, 1])])], [0],
                                          classes)


def test_frame_action_head_max_pools_over_space():
    head = pretrain_tool.FrameActionHead(3, 2)
    maps = torch.randn(4, 3, 5, 6)
    out = head(maps)
    assert out.shape == (4, 2)
    torch.testing.assert_close(out, head.conv(maps).amax(dim=(2, 3)))


def _tiny_cfg(root: str) -> Config:
    cfg = Config.fromfile(get_config_file(CONFIG))
    move_data_root(cfg, root)
    for name in ('train_dataloader', 'val_dataloader'):
        for t in cfg[name].dataset.pipeline:
            if t.type == 'SampleSTVGFrames':
                t.clip_len = 8
            if t.type == 'mmaction.Resize':
                t.scale = (64, 64)
    return cfg


def test_settings_come_from_the_config(tiny_synth_root):
    cfg = _tiny_cfg(tiny_synth_root)
    settings = pretrain_tool.pretrain_settings(cfg, dict(epochs=1, lr=None))
    assert settings['out'] == osp.join(tiny_synth_root, 'pretrained',
                                       'vidswin16_synth-actions.pth')
    assert settings['epochs'] == 1 and settings['lr'] == cfg.motion_pretrain.lr
    assert cfg.model.motion_encoder.init_cfg.checkpoint == settings['out']
    cfg.pop('motion_pretrain')
    with pytest.raises(ValueError, match='no checkpoint to write'):
        pretrain_tool.pretrain_settings(cfg)


def test_a_few_steps_lower_the_loss(tiny_synth_root):
    register_all_modules()
    torch.manual_seed(0)
    trainer = pretrain_tool.MotionPretrainer(_tiny_cfg(tiny_synth_root), 4, num_workers=0)
    data = next(iter(trainer.loaders['train']))
    out = trainer.batch(data, training=True)
    assert out['logits'].shape == out['labels'].shape == (4 * 8, len(ACTIONS))
    assert 0 < float(out['labels'].sum()) < out['labels'].numel()  # actions and idle frames
    opt = torch.optim.AdamW(trainer.parameters(), lr=3e-3)
    losses = [trainer.step(data, opt) for _ in range(6)]
    assert losses[-1] < losses[0]


def test_writes_a_checkpoint_the_config_loads(tiny_synth_root, tmp_path):
    out = str(tmp_path / 'motion.pth')
    meta = pretrain_tool.main([
        get_config_file(CONFIG), '--data-root', tiny_synth_root, '--out', out, '--epochs', '1',
        '--batch-size', '4', '--num-workers', '0', '--cfg-options',
        'train_dataloader.dataset.pipeline.1.clip_len=8',
        'val_dataloader.dataset.pipeline.1.clip_len=8'
    ])
    assert meta['actions'] == list(ACTIONS) and len(meta['history']) == 1
    assert 0. <= meta['history'][0]['val_mAP'] <= 1.
    ckpt = torch.load(out, weights_only=True)
    # the grounder of the config, its motion branch from the file (init_cfg), frozen
    cfg = _tiny_cfg(tiny_synth_root)
    cfg.model.motion_encoder.init_cfg.checkpoint = out
    register_all_modules()
    model = MODELS.build(cfg.model)
    model.init_weights()
    state = model.motion_encoder.state_dict()
    assert set(state) == set(ckpt['state_dict'])
    for key, value in ckpt['state_dict'].items():
        torch.testing.assert_close(state[key], value, rtol=0, atol=0, msg=key)
    assert not any(p.requires_grad for p in model.motion_encoder.parameters())
    model.train()
    assert not model.motion_encoder.backbone.training  # eval_when_frozen


def test_benchmark_suite_knows_when_to_pretrain(tiny_synth_root, tmp_path):
    suite = _load('benchmark_suite', 'tools/analysis_tools/benchmark_suite.py')
    cfg = _tiny_cfg(tiny_synth_root)
    cfg.motion_pretrain.out = str(tmp_path / 'm.pth')
    assert suite.missing_motion_pretrain(cfg) == str(tmp_path / 'm.pth')
    (tmp_path / 'm.pth').write_bytes(b'')
    assert suite.missing_motion_pretrain(cfg) is None
    cfg.pop('motion_pretrain')
    assert suite.missing_motion_pretrain(cfg) is None
