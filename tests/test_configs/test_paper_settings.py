"""What the real-data configs take from the papers (or, where a paper defers, from MDETR and
2D-TAN), checked on the configs themselves (configs/gkcmn/README.md,
configs/stvgformer/README.md)."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch.nn as nn
from mmengine.config import Config

from mmstvg.registry import TRANSFORMS
from mmstvg.utils import register_all_modules

register_all_modules()
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _configs(pattern):
    return sorted(glob.glob(osp.join(REPO, 'configs', pattern)))


def _transforms(cfg, split, name):
    loader = cfg[f'{split}_dataloader']
    return [t for t in loader.dataset.pipeline if t.type == name]


GKCMN_FEATURE_CONFIGS = [p for p in _configs('gkcmn/*.py') if 'synth' not in p]
STVGFORMER_CONFIGS = [p for p in _configs('stvgformer/stvgformer_r101*.py')]
STVGFORMER_PAPER_CONFIGS = [p for p in STVGFORMER_CONFIGS if 'online' not in p]


@pytest.mark.parametrize('path', GKCMN_FEATURE_CONFIGS, ids=osp.basename)
def test_gkcmn_input_channels_follow_the_feature_extractor(path):
    """mmaction2's I3D is a ResNet-50 (2048 channels), not the paper's Inception I3D (1024):
    the model's input channels, the per-file check and the row stride all come from the
    in-repo extractor config the features are made with."""
    cfg = Config.fromfile(path)
    extractor = Config.fromfile(
        osp.join(REPO, 'configs/_base_/feature_extractors/i3d_r50_k400.py')).feature_extractor
    assert cfg.feature_extractor.to_dict() == extractor.to_dict()
    assert cfg.model.interaction.visual_channels == extractor.out_channels == 2048
    for split in ('train', 'val', 'test'):
        (load, ) = _transforms(cfg, split, 'LoadSTVGFeatures')
        assert load.channels == 2048 and load.frame_stride == extractor.stride == 4


@pytest.mark.parametrize('path', STVGFORMER_CONFIGS, ids=osp.basename)
def test_stvgformer_dynamic_branch_reads_clip_features(path):
    """Paper §1.2: features of T clips from a pretrained 3D-CNN: the paper configs read
    precomputed SlowFast (AVA) clip features (no online video backbone), with the channels and
    row stride of the extractor config; the online option keeps BatchNorm in eval mode."""
    cfg = Config.fromfile(path)
    extractor = Config.fromfile(
        osp.join(REPO,
                 'configs/_base_/feature_extractors/slowfast_r50_4x16_ava.py')).feature_extractor
    assert extractor.clip_len == 32 and extractor.frame_interval == 2  # AVA's 4x16 clips
    assert cfg.model.dynamic_branch.in_channels == extractor.out_channels == 2048 + 256
    if 'online' in path:
        encoder = cfg.model.video_backbone
        assert encoder.type == 'VideoClipEncoder' and encoder.norm_eval is True
        assert encoder.backbone.to_dict() == extractor.backbone.to_dict()
        return
    assert cfg.model.video_backbone is None
    for split in ('train', 'val', 'test'):
        types = [t.type for t in cfg[f'{split}_dataloader'].dataset.pipeline]
        (load, ) = _transforms(cfg, split, 'LoadSTVGFeatures')
        assert load.channels == 2304 and load.frame_stride == extractor.stride
        assert 'STVGCrop' not in types  # a crop of the frames cannot be followed by the maps
        if 'STVGFlip' in types:  # ... a flip can: the maps are flipped with the frames
            assert types.index('LoadSTVGFeatures') < types.index('STVGFlip')


def _frame_shape(pipeline, h, w):
    """(H, W) of a frame of size (h, w) after the pipeline's resizes (crops and flips are
    augmentation: they are left out, so the rule itself is compared)."""
    results = dict(
        imgs=[np.zeros((h, w, 3), np.uint8)],
        img_shape=(h, w),
        gt_bboxes=np.array([[0, 0, w / 2, h / 2]], np.float32),
        modality='RGB')
    for t in pipeline:
        if t.type == 'mmaction.Resize':
            results = TRANSFORMS.build(t)(results)
    return tuple(results['img_shape'])


@pytest.mark.parametrize('path', STVGFORMER_CONFIGS, ids=osp.basename)
def test_stvgformer_train_and_test_frames_have_one_geometry(path):
    """As MDETR: the aspect ratio is kept in training and at test time (short side 224);
    a 16:9 video gives 224 x 398 frames (7 x 13 maps) in both, not 224 x 224 in training."""
    cfg = Config.fromfile(path)
    for h, w in ((360, 640), (1080, 1920), (480, 360)):
        train = _frame_shape(cfg.train_dataloader.dataset.pipeline, h, w)
        test = _frame_shape(cfg.test_dataloader.dataset.pipeline, h, w)
        assert train == test, (h, w, train, test)
        assert min(train) == 224
        assert abs(train[1] / train[0] - w / h) < 0.01
    assert _frame_shape(cfg.train_dataloader.dataset.pipeline, 360, 640) == (224, 398)


class _Named(nn.Module):
    """Parameters named like STVGFormer's groups."""

    def __init__(self):
        super().__init__()
        self.image_backbone = nn.Linear(2, 2)
        self.video_backbone = nn.Linear(2, 2)
        self.text_encoder = nn.Module()
        self.text_encoder.model = nn.Linear(2, 2)  # RoBERTa
        self.text_encoder.proj = nn.Linear(2, 2)  # MDETR's FeatureResizer (main lr)
        self.static_branch = nn.Linear(2, 2)


@pytest.mark.parametrize('path', STVGFORMER_CONFIGS, ids=osp.basename)
def test_stvgformer_training_practice_follows_mdetr(path):
    """The paper follows "the practice in MDETR": MDETR's fine-tuning command (lr 5e-5,
    text encoder 1e-5, backbone 1e-5 by default, --ema), AdamW with weight decay 1e-4,
    gradient clipping 0.1, auxiliary decoding losses (MDETR's default), EMA decay 0.9998,
    the "step" schedule (x0.1 once)."""
    from mmengine.optim import build_optim_wrapper
    cfg = Config.fromfile(path)
    model = _Named()
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    assert type(wrapper.optimizer).__name__ == 'AdamW'
    names = {id(p): n.rsplit('.', 1)[0] for n, p in model.named_parameters()}
    lrs = {}
    for group in wrapper.optimizer.param_groups:
        for p in group['params']:
            lrs[names[id(p)]] = group['lr']
            assert group['weight_decay'] == pytest.approx(1e-4)
    # 5e-5 * lr_mult 0.2 = 1e-5 for the backbones and RoBERTa
    assert lrs == pytest.approx({
        'image_backbone': 1e-5,
        'video_backbone': 1e-5,
        'text_encoder.model': 1e-5,
        'text_encoder.proj': 5e-5,
        'static_branch': 5e-5
    })
    assert cfg.optim_wrapper.clip_grad.max_norm == 0.1
    assert cfg.model.aux_loss is True
    (ema, ) = [h for h in cfg.custom_hooks if h.type == 'EMAHook']
    assert 1 - ema.momentum == pytest.approx(0.9998)
    (step, ) = cfg.param_scheduler
    assert step.type == 'MultiStepLR' and step.gamma == 0.1 and len(step.milestones) == 1
    assert step.milestones[0] < cfg.train_cfg.max_epochs


@pytest.mark.parametrize('path', STVGFORMER_CONFIGS, ids=osp.basename)
def test_2dtan_head_is_a_published_2dtan_setting(path):
    """2D-TAN (microsoft/VideoX 2D-TAN/experiments): 512 channels and 8 convs of kernel 5
    (Charades 16x16, TACoS 128x128) or 4 convs of kernel 9 (ActivityNet 64x64)."""
    head = Config.fromfile(path).model.temporal_head
    assert head.map_channels == 512
    assert (head.num_convs, head.kernel_size) in ((8, 5), (4, 9))


GKCMN_VIDSTG_CONFIGS = [p for p in GKCMN_FEATURE_CONFIGS if p.endswith('_vidstg.py')]


@pytest.mark.parametrize('path', GKCMN_VIDSTG_CONFIGS, ids=osp.basename)
def test_gkcmn_vidstg_scores_stgrns_frames(path):
    """GKCMN follows STGRN's metrics; STGRN scores 5-fps frames, at most 200 per video
    (configs/gkcmn/README.md, "VidSTG"): the `sampled` protocol at those settings, per
    sentence type (the paper's STGRN rows are declarative sentences)."""
    cfg = Config.fromfile(path)
    for name in ('val_evaluator', 'test_evaluator'):
        evaluator = cfg[name]
        assert evaluator.type == 'STVGMetric'
        assert evaluator.protocol == dict(type='sampled', eval_fps=5, video_max_len=200)


def _metafile_models():
    import yaml
    meta = yaml.safe_load(open(osp.join(REPO, 'configs', 'gkcmn', 'metafile.yml')))
    return {m['Config']: m for m in meta['Models']}


@pytest.mark.parametrize('name,base,paper',
                         [('gkcmn_i3d-gt-span_vidstg.py', 'gkcmn_i3d_vidstg.py',
                           (37.25, 52.67, 34.51)),
                          ('bm_i3d-gt-span_vidstg.py', 'bm_i3d_vidstg.py', (22.37, 34.92, 16.33))])
def test_gkcmn_table2_configs_give_the_temporal_ground_truth(name, base, paper):
    """Table 2 (temporal ground truth given): the model, data and training of the Table 1
    config, with the GT span replacing the predicted one at test time; the metafile has the
    paper's Table 2 numbers (no m_tIoU: it is 1 by construction)."""
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'gkcmn', name)).to_dict()
    ref = Config.fromfile(osp.join(REPO, 'configs', 'gkcmn', base)).to_dict()
    assert cfg['model'].pop('test_cfg') == dict(use_gt_span=True)
    assert 'test_cfg' not in ref['model']
    for key in set(cfg) | set(ref):
        assert cfg.get(key) == ref.get(key), key
    (result, ) = _metafile_models()[f'configs/gkcmn/{name}']['Results']
    assert 'Table 2' in result['Dataset']
    assert result['Metrics'] == dict(zip(('m_vIoU', 'vIoU@0.3', 'vIoU@0.5'), paper))
    readme = open(osp.join(REPO, 'configs', 'gkcmn', 'README.md')).read()
    assert f'[config]({name}) | ' + ' | '.join(f'{v:.2f}' for v in paper) in readme
