"""tools/data/extract_features.py: clip feature maps with a tiny random mmaction2 backbone
(I3D-style, and SlowFast with the clip sampling of an extractor config), in the layout that
LoadSTVGFeatures(frame_stride=stride) reads; the shipped extractor configs build and give the
channels they promise."""
import glob
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmstvg.testing import TINY_SLOWFAST_BACKBONE, import_script
from .conftest import REPO
from .test_train_test_tools import _run

extract_features = import_script('tools/data/extract_features.py')

BACKBONE = """backbone = dict(type='mmaction.ResNet3d', depth=18, base_channels=8, num_stages=2,
    out_indices=(1, ), spatial_strides=(1, 2), temporal_strides=(1, 1), dilations=(1, 1),
    conv1_stride_t=1, pool1_stride_t=1, inflate=((0, 0), (1, 1)), pretrained=None,
    pretrained2d=False)
"""


def test_clip_indices():
    inds = extract_features.clip_indices(10, clip_len=4, stride=4)
    assert inds.tolist() == [[0, 0, 0, 1], [2, 3, 4, 5], [6, 7, 8, 9]]
    # frame_interval 2: offsets (-2, -1, 0, 1) * 2 around 0, 4, 8, clamped to [0, 9]
    inds = extract_features.clip_indices(10, clip_len=4, stride=4, frame_interval=2)
    assert inds.tolist() == [[0, 0, 0, 2], [0, 2, 4, 6], [4, 6, 8, 9]]


def test_extract_and_load(tiny_synth_root, tmp_path):
    from mmstvg.datasets.transforms import LoadSTVGFeatures
    cfg = tmp_path / 'tiny_i3d.py'
    cfg.write_text(BACKBONE)
    torch.manual_seed(0)
    model = extract_features.build_backbone(str(cfg))
    ckpt = tmp_path / 'tiny.pth'
    torch.save({'state_dict': {'backbone.' + k: v for k, v in model.state_dict().items()}}, ckpt)
    videos = osp.join(tiny_synth_root, 'videos')
    out_dir = tmp_path / 'feats'
    _run('tools/data/extract_features.py', str(cfg), '--videos', videos, '--out-dir', str(out_dir),
         '--checkpoint', str(ckpt), '--size', '64', '--clip-len', '8', '--stride', '4', '--device',
         'cpu')
    names = sorted(n for n in os.listdir(out_dir) if n != 'feature_extractor.json')
    assert names and all(n.endswith('.npy') for n in names)
    assert len(names) == len([v for v in os.listdir(videos) if v.endswith('.mp4')])
    path = osp.join(out_dir, names[0])
    feats = np.load(path)
    frames = extract_features.read_frames(osp.join(videos, names[0][:-4] + '.mp4'), 64)
    assert feats.shape == (int(np.ceil(len(frames) / 4)), 8, 8, 16)
    # row 1 is the clip centred on frame 4, through the same backbone weights
    clip = torch.from_numpy(frames[extract_features.clip_indices(len(frames), 8, 4)[1]])
    clip = clip.permute(3, 0, 1, 2)[None].float()
    mean = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1, 1)
    std = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1, 1)
    with torch.no_grad():
        expected = model((clip - mean) / std).mean(2)[0].permute(1, 2, 0).numpy()
    np.testing.assert_allclose(feats[1], expected, rtol=1e-4, atol=1e-4)
    # LoadSTVGFeatures reads row i // 4 for frame i
    out = LoadSTVGFeatures(frame_stride=4).transform(
        dict(feature_path=path, frame_inds=np.array([0, 5, 6, 15]), qid='q'))
    np.testing.assert_array_equal(out['features'], feats[[0, 1, 1, 3]])


# a tiny SlowFast (16 + 4 channels) with AVA-style clip sampling: 8 frames, every 2nd frame,
# one row every 4 frames, 64x64 frames, maps pooled to 2x2
TINY_SLOWFAST_EXTRACTOR = dict(
    backbone=TINY_SLOWFAST_BACKBONE,
    clip_len=8,
    frame_interval=2,
    stride=4,
    size=64,
    out_size=(2, 2),
    out_channels=16 + 4)


def test_slowfast_clip_features(tiny_synth_root, tmp_path):
    """SlowFast clip mode: row r = the 8-frame clip (every 2nd frame) centred on frame 4r,
    each pathway averaged over time, the fast map pooled to the slow grid, concatenated on
    channels (16 slow + 4 fast) and pooled to 2x2; settings from the config's
    ``feature_extractor``; LoadSTVGFeatures reads it with the promised channel count."""
    from mmstvg.datasets.transforms import LoadSTVGFeatures
    cfg = tmp_path / 'tiny_slowfast_extractor.py'
    cfg.write_text(f'feature_extractor = {TINY_SLOWFAST_EXTRACTOR!r}\n')
    torch.manual_seed(0)
    model = extract_features.build_backbone(str(cfg))
    ckpt = tmp_path / 'tiny_slowfast.pth'
    torch.save({'state_dict': {'backbone.' + k: v for k, v in model.state_dict().items()}}, ckpt)
    name = sorted(v for v in os.listdir(osp.join(tiny_synth_root, 'videos')))[0]
    video = osp.join(tiny_synth_root, 'videos', name)
    videos = tmp_path / 'videos.txt'
    videos.write_text(video + '\n')
    out_dir = tmp_path / 'feats'
    _run('tools/data/extract_features.py', str(cfg), '--videos', str(videos), '--out-dir',
         str(out_dir), '--checkpoint', str(ckpt), '--device', 'cpu', '--batch-clips', '3')
    feats = np.load(out_dir / (name[:-4] + '.npy'))
    frames = extract_features.read_frames(video, 64)
    assert len(frames) == 16 and feats.shape == (4, 2, 2, 20)
    # row 3: offsets (-4, ..., 3) * 2 around frame 12 = 4, 6, ..., 18, clamped to 15
    inds = [4, 6, 8, 10, 12, 14, 15, 15]
    assert extract_features.clip_indices(16, 8, 4, 2)[3].tolist() == inds
    clip = torch.from_numpy(frames[inds]).permute(3, 0, 1, 2)[None].float()
    mean = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1, 1)
    std = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1, 1)
    with torch.no_grad():
        slow, fast = model((clip - mean) / std)
    assert slow.shape[1:3] == (16, 2) and fast.shape[1:3] == (4, 8)  # 2 slow, 8 fast frames
    slow, fast = slow.mean(2), fast.mean(2)
    fast = F.adaptive_avg_pool2d(fast, slow.shape[-2:])
    expected = F.adaptive_avg_pool2d(torch.cat([slow, fast], 1), (2, 2))[0].permute(1, 2, 0)
    np.testing.assert_allclose(feats[3], expected.numpy(), rtol=1e-4, atol=1e-4)
    out = LoadSTVGFeatures(
        frame_stride=4, channels=20).transform(
            dict(
                feature_path=str(out_dir / (name[:-4] + '.npy')),
                frame_inds=np.array([9, 15]),
                qid='q'))
    np.testing.assert_array_equal(out['features'], feats[[2, 3]])
    meta = json.load(open(out_dir / 'feature_extractor.json'))
    assert meta['clip_len'] == 8 and meta['frame_interval'] == 2 and meta['out_channels'] == 20
    # the command line overrides the config; a wrong `out_channels` stops the tool
    bad = tmp_path / 'bad.py'
    bad.write_text(f'feature_extractor = {dict(TINY_SLOWFAST_EXTRACTOR, out_channels=32)!r}\n')
    with pytest.raises(ValueError, match='20-channel maps.*out_channels` is 32'):
        extract_features.main([
            str(bad), '--videos',
            str(videos), '--out-dir',
            str(tmp_path / 'bad'), '--device', 'cpu', '--stride', '8'
        ])
    assert extract_features.extractor_settings(
        str(bad),
        extract_features.parse_args([str(bad), '--videos', 'v', '--out-dir', 'o', '--stride',
                                     '8']))['stride'] == 8


EXTRACTORS = sorted(glob.glob(osp.join(REPO, 'configs', '_base_', 'feature_extractors', '*.py')))


@pytest.mark.parametrize('config', EXTRACTORS, ids=osp.basename)
def test_shipped_extractor_configs_give_their_channels(config):
    """The in-repo extractor configs (mmaction2's I3D R50 and AVA SlowFast R50, random
    weights) produce maps of the `out_channels` that the training configs derive their input
    channels from, at the configured clip length."""
    settings = extract_features.extractor_settings(config)
    model = extract_features.build_backbone(config)
    clip = torch.randn(1, 3, settings['clip_len'], 64, 64)
    with torch.no_grad():
        maps = extract_features.pool_outputs(model(clip), settings['out_size'])
    assert maps.shape[1] == settings['out_channels']
    if settings['out_size']:
        assert tuple(maps.shape[-2:]) == tuple(settings['out_size'])
