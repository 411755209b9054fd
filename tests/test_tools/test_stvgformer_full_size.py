"""`tools/train.py` builds the full-size STVGFormer of the HC-STVG v2 configs (ResNet-101,
roberta-base-sized text encoder, N = 6; the paper config reads precomputed SlowFast-R50 clip
features, the online option runs SlowFast-R50) and runs a training step on a tiny
HC-STVG-format fixture, with every pretrained file (RoBERTa `save_pretrained` directory,
converted MDETR checkpoint, AVA SlowFast checkpoint) and the clip feature files generated
here with random weights / values."""
import copy
import json
import os
import os.path as osp
import re
import shutil

import numpy as np
import pytest
import torch
from mmengine.config import Config

from .conftest import REPO
from .test_train_test_tools import _run

CFGS = [
    osp.join(REPO, 'configs/stvgformer', name)
    for name in ('stvgformer_r101-mdetr-pre-slowfast_8xb1-t48-10e_hcstvg-v2.py',
                 'stvgformer_r101-mdetr-pre-slowfast-online_8xb1-t48-10e_hcstvg-v2.py')
]


def _clip_features(root, out_dir, cfg):
    """Random (rows, 7, 7, C) maps per video of the fixture, rows as the extractor writes."""
    os.makedirs(out_dir)
    stride, channels = cfg.feature_extractor.stride, cfg.feature_extractor.out_channels
    rng = np.random.default_rng(0)
    for rec_file in ('anno_v2/train_v2.json', 'anno_v2/val_v2.json'):
        for name, rec in json.load(open(osp.join(root, rec_file))).items():
            rows = -(-rec['img_num'] // stride)
            feats = rng.standard_normal((rows, 7, 7, channels), dtype=np.float32)
            np.save(osp.join(out_dir, osp.splitext(name)[0] + '.npy'), feats.astype(np.float16))


@pytest.mark.slow
@pytest.mark.parametrize('CFG', CFGS, ids=['clip-features', 'online'])
def test_full_size_training_step(tiny_synth_root, tmp_path, CFG):
    from transformers import RobertaConfig, RobertaModel

    from mmstvg.registry import MODELS
    from mmstvg.utils import register_all_modules
    register_all_modules()

    # a randomly initialised roberta-base (125 M parameters) with a tokenizer, on disk
    roberta = str(tmp_path / 'roberta-base')
    RobertaModel(RobertaConfig()).save_pretrained(roberta)
    for name in ('tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'):
        src = osp.join(tiny_synth_root, 'tokenizer', name)
        if osp.exists(src):
            shutil.copy(src, roberta)

    cfg = Config.fromfile(CFG)
    cfg.model.text_encoder.pretrained = roberta
    # "pretrained" checkpoints in the formats the config expects, from a random model
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.init_cfg = None
    online = model_cfg.video_backbone is not None
    if online:
        model_cfg.video_backbone.init_cfg = None
    model = MODELS.build(model_cfg)
    state = model.state_dict()
    static = {
        k: v
        for k, v in state.items()
        if k.split('.')[0] in ('image_backbone', 'image_proj', 'static_branch', 'text_encoder',
                               'spatial_head')
    }
    mdetr = str(tmp_path / 'mdetr_r101_roberta_mmstvg.pth')
    torch.save(dict(state_dict=static), mdetr)
    ava = {
        k[len('video_backbone.'):]: v
        for k, v in state.items() if k.startswith('video_backbone.')
    }
    ava['roi_head.bbox_head.fc_cls.weight'] = torch.zeros(81, 2304)  # detector head: unused
    ava_file = str(tmp_path / 'slowfast_ava.pth')
    torch.save(dict(state_dict=ava), ava_file)
    assert sum(v.numel() for v in state.values()) > 200e6  # really the full-size model
    del model, state, static, ava

    cfg.model.init_cfg.checkpoint = mdetr
    if online:
        cfg.model.video_backbone.init_cfg.checkpoint = ava_file
    else:
        _clip_features(tiny_synth_root, str(tmp_path / 'clip_features'), cfg)
    loader = cfg.train_dataloader
    loader.num_workers = 0
    loader.persistent_workers = False
    loader.dataset.data_root = tiny_synth_root
    loader.dataset.data_prefix.feature = str(tmp_path / 'clip_features')
    loader.dataset.indices = 1
    for t in loader.dataset.pipeline:
        if t.type == 'SampleSTVGFrames':
            t.clip_len = 8  # the fixture's videos have 16 frames (the paper: 48)
        if t.type == 'TokenizeText':
            t.tokenizer.pretrained = roberta
    cfg.train_cfg.max_epochs = 1
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=100, save_last=False)
    cfg.default_hooks.logger.interval = 1
    cfg_file = str(tmp_path / 'full_size.py')
    cfg.dump(cfg_file)
    out = _run('tools/train.py', cfg_file, '--work-dir', str(tmp_path / 'work'), '--no-validate')
    log = open(next((tmp_path / 'work').rglob('*.log'))).read()
    assert 'mdetr_r101_roberta_mmstvg.pth' in log, out[-2000:]
    assert ('slowfast_ava.pth' in log) == online
    match = re.search(r'Epoch\(train\) \[1\]\[1/1\].*?loss: ([0-9.]+)', log)
    assert match, log[-3000:]
    assert 0 < float(match.group(1)) < 1e4
    for key in ('loss_bbox', 'loss_giou', 'loss_static_aux', 'loss_tg', 'loss_dynamic_aux'):
        assert key in log
