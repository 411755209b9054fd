"""`tools/train.py` builds the full-size STVGFormer of the HC-STVG v2 config (ResNet-101,
roberta-base-sized text encoder, SlowFast-R50, N = 6) and runs a training step on a tiny
HC-STVG-format fixture, with every pretrained file (RoBERTa `save_pretrained` directory,
converted MDETR checkpoint, AVA SlowFast checkpoint) generated here with random weights."""
import copy
import os.path as osp
import re
import shutil

import pytest
import torch
from mmengine.config import Config

from .conftest import REPO
from .test_train_test_tools import _run

CFG = osp.join(REPO, 'configs/stvgformer/'
               'stvgformer_r101-mdetr-pre-slowfast_8xb1-t48-10e_hcstvg-v2.py')


@pytest.mark.slow
def test_full_size_training_step(tiny_synth_root, tmp_path):
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
    model_cfg.video_backbone.init_cfg = None
    model = MODELS.build(model_cfg)
    state = model.state_dict()
    static = {k: v for k, v in state.items()
              if k.split('.')[0] in ('image_backbone', 'image_proj', 'static_branch',
                                     'text_encoder', 'bbox_head')}
    mdetr = str(tmp_path / 'mdetr_r101_roberta_mmstvg.pth')
    torch.save(dict(state_dict=static), mdetr)
    ava = {k[len('video_backbone.'):]: v for k, v in state.items()
           if k.startswith('video_backbone.')}
    ava['roi_head.bbox_head.fc_cls.weight'] = torch.zeros(81, 2304)  # detector head: unused
    ava_file = str(tmp_path / 'slowfast_ava.pth')
    torch.save(dict(state_dict=ava), ava_file)
    assert sum(v.numel() for v in state.values()) > 200e6  # really the full-size model
    del model, state, static, ava

    cfg.model.init_cfg.checkpoint = mdetr
    cfg.model.video_backbone.init_cfg.checkpoint = ava_file
    loader = cfg.train_dataloader
    loader.num_workers = 0
    loader.persistent_workers = False
    loader.dataset.data_root = tiny_synth_root
    loader.dataset.indices = 1
    for t in loader.dataset.pipeline:
        if t.type == 'SampleSTVGFrames':
            t.num_frames = 8  # the fixture's videos have 16 frames (the paper: 48)
        if t.type == 'TokenizeText':
            t.tokenizer.pretrained = roberta
    cfg.train_cfg.max_epochs = 1
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=100, save_last=False)
    cfg.default_hooks.logger.interval = 1
    cfg_file = str(tmp_path / 'full_size.py')
    cfg.dump(cfg_file)
    out = _run('tools/train.py', cfg_file, '--work-dir', str(tmp_path / 'work'),
               '--no-validate')
    log = open(next((tmp_path / 'work').rglob('*.log'))).read()
    assert 'mdetr_r101_roberta_mmstvg.pth' in log and 'slowfast_ava.pth' in log, out[-2000:]
    match = re.search(r'Epoch\(train\) \[1\]\[1/1\].*?loss: ([0-9.]+)', log)
    assert match, log[-3000:]
    assert 0 < float(match.group(1)) < 1e4
    for key in ('loss_bbox', 'loss_giou', 'loss_static_aux', 'loss_tg', 'loss_dynamic_aux'):
        assert key in log
