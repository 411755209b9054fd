"""tools/data/extract_features.py: clip feature maps with a tiny random mmaction2 backbone
(I3D-style, and SlowFast with the clip sampling of an extractor config), in the layout that
LoadSTVGFeatures(frame_stride=stride) reads; the shipped extractor configs build and give the
channels they promise. Videos are streamed (only a window of frames held) with exactly the
features of the whole-video computation; VidOR's nested layout is searched recursively; no
checkpoint, no video or two videos with one stem stop the tool before any work."""
import glob
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmstvg.testing import TINY_SLOWFAST_BACKBONE, import_script, write_test_video
from mmstvg.utils.path_guard import OverwriteInputError
from .conftest import REPO
from .test_train_test_tools import _run

extract_features = import_script('tools/data/extract_features.py')
MEAN = [123.675, 116.28, 103.53]
STD = [58.395, 57.12, 57.375]


def _read_frames(path, size):
    """Every frame of ``path`` resized to size x size: (N, size, size, 3) uint8 (the
    extractor's former whole-video decoding, kept here as the reference)."""
    import cv2

    from mmstvg.utils.video_io import read_video
    return np.stack([
        cv2.resize(img, (size, size), interpolation=cv2.INTER_LINEAR) for img in read_video(path)
    ])


@torch.no_grad()
def _whole_video_features(model, path, size, clip_len, stride, frame_interval, batch_clips):
    """The extractor's former computation: the whole video in RAM, the clips of
    clip_indices() in batches of ``batch_clips`` rows."""
    frames = _read_frames(path, size)
    inds = extract_features.clip_indices(len(frames), clip_len, stride, frame_interval)
    mean = torch.tensor(MEAN).view(1, 3, 1, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1, 1)
    rows = []
    for start in range(0, len(inds), batch_clips):
        batch = torch.from_numpy(frames[inds[start:start + batch_clips]])
        batch = (batch.permute(0, 4, 1, 2, 3).float() - mean) / std
        rows.append(extract_features.pool_outputs(model(batch)).permute(0, 2, 3, 1))
    return torch.cat(rows).numpy(), len(frames)


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
    frames = _read_frames(osp.join(videos, names[0][:-4] + '.mp4'), 64)
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
    frames = _read_frames(video, 64)
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
            str(tmp_path / 'bad'), '--device', 'cpu', '--stride', '8', '--random-init'
        ])
    assert extract_features.extractor_settings(
        str(bad),
        extract_features.parse_args(
            [str(bad), '--videos', 'v', '--out-dir', 'o', '--stride', '8',
             '--random-init']))['stride'] == 8


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


# ----------------------------------------------------------------------------- streaming
@pytest.mark.parametrize('num_frames, clip_len, stride, frame_interval, batch_clips',
                         [(1, 8, 4, 1, 16), (10, 4, 4, 1, 1), (10, 4, 4, 2, 2), (37, 8, 4, 1, 3),
                          (37, 32, 8, 2, 2), (100, 8, 4, 1, 16), (101, 5, 3, 3, 4),
                          (64, 1, 1, 1, 5), (23, 6, 10, 1, 2)])
def test_clip_batcher_gives_the_batches_of_clip_indices(num_frames, clip_len, stride,
                                                        frame_interval, batch_clips):
    """The streamed batches are exactly clip_indices(num_frames)[b:b + batch_clips] of the
    whole video (the number of frames only known at the end of the stream), and the frames
    held never exceed the window, which does not depend on the video's length."""
    batcher = extract_features.ClipBatcher(
        clip_len, stride, frame_interval, batch_clips, transform=lambda img: img + 1000)
    frames = ((i, np.array([i])) for i in range(num_frames))  # a frame = its index
    batches = list(batcher(frames))
    inds = extract_features.clip_indices(num_frames, clip_len, stride, frame_interval)
    expected = [inds[b:b + batch_clips] for b in range(0, len(inds), batch_clips)]
    assert len(batches) == len(expected)
    for (rows, clips), exp in zip(batches, expected):
        assert clips.shape == (len(exp), clip_len, 1)
        np.testing.assert_array_equal(clips[..., 0], exp + 1000)  # transformed frames
        np.testing.assert_array_equal(rows, exp[:, clip_len // 2] // stride)
    assert batcher.num_frames == num_frames
    window = (batch_clips - 1) * stride + (clip_len - 1) * frame_interval + 1
    assert batcher.window == window
    assert batcher.peak_frames <= window
    # the same batcher on a 10x longer video holds no more frames
    list(batcher((i, np.array([i])) for i in range(10 * num_frames)))
    assert batcher.peak_frames <= window


def test_clip_batcher_rejects_a_gap_and_yields_nothing_for_no_frame():
    batcher = extract_features.ClipBatcher(4, 2, batch_clips=2)
    assert list(batcher(iter([]))) == []
    with pytest.raises(RuntimeError, match='frame 2 after 1 frames'):
        list(batcher((i, np.zeros(1)) for i in (0, 2)))


@pytest.mark.parametrize('clip_len, stride, frame_interval, batch_clips', [(8, 4, 1, 3),
                                                                           (6, 3, 2, 2)])
def test_streamed_features_equal_the_whole_video_features(tmp_path, clip_len, stride,
                                                          frame_interval, batch_clips):
    """extract_video() (decoded once, a window of frames held) gives the features of the
    former whole-video computation, bit for bit, on a rendered 45-frame video, while holding
    at most `window` resized frames (fewer than the video has)."""
    cfg = tmp_path / 'tiny_i3d.py'
    cfg.write_text(BACKBONE)
    torch.manual_seed(0)
    model = extract_features.build_backbone(str(cfg))
    rng = np.random.default_rng(0)
    video = write_test_video(
        str(tmp_path / 'v.mp4'), frames=rng.integers(0, 256, (45, 48, 64, 3), dtype=np.uint8))
    args = extract_features.parse_args([
        str(cfg), '--videos', 'v', '--out-dir', 'o', '--random-init', '--device', 'cpu', '--size',
        '32', '--clip-len',
        str(clip_len), '--stride',
        str(stride), '--frame-interval',
        str(frame_interval), '--batch-clips',
        str(batch_clips)
    ])
    settings = extract_features.extractor_settings(str(cfg), args)
    stats = {}
    feats = extract_features.extract_video(model, video, args, settings, stats)
    expected, num_frames = _whole_video_features(model, video, 32, clip_len, stride,
                                                 frame_interval, batch_clips)
    assert num_frames == stats['num_frames'] == 45
    assert feats.shape == expected.shape == (int(np.ceil(45 / stride)), 4, 4, 16)
    np.testing.assert_array_equal(feats, expected)
    window = (batch_clips - 1) * stride + (clip_len - 1) * frame_interval + 1
    assert stats['window'] == window < 45
    assert 0 < stats['peak_frames'] <= window


# ----------------------------------------------------------------------------- the command
def _run_status(*args):
    proc = subprocess.run([sys.executable, *args],
                          cwd=REPO,
                          env=dict(os.environ, PYTHONPATH=REPO),
                          capture_output=True,
                          text=True)
    return proc.returncode, proc.stdout, proc.stderr


def test_no_checkpoint_is_an_error_unless_random_init(tmp_path, capsys):
    argv = [osp.join(REPO, EXTRACTORS[0]), '--videos', 'v', '--out-dir', str(tmp_path)]
    with pytest.raises(SystemExit) as exc:
        extract_features.parse_args(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert 'no --checkpoint given' in err and '--random-init' in err
    assert extract_features.parse_args(argv + ['--random-init']).random_init
    with pytest.raises(SystemExit):  # not both
        extract_features.parse_args(argv + ['--random-init', '--checkpoint', 'c.pth'])
    assert 'not allowed with argument' in capsys.readouterr().err


def test_vidor_layout_nested_folders(tmp_path):
    """VidOR's videos/<folder>/<vid>.mp4: found recursively, counted, a progress bar with an
    ETA, one flat <vid>.npy each: the feature_path the VidSTG dataset gives its queries."""
    from mmstvg.datasets import VidSTGDataset
    vid = '11566930393'
    videos = tmp_path / 'videos'
    write_test_video(str(videos / '0009' / f'{vid}.mp4'), num_frames=10, size=(32, 32))
    write_test_video(str(videos / '1025' / '2793806282.mp4'), num_frames=6, size=(32, 32))
    (videos / '1025' / 'notes.txt').write_text('not a video')
    cfg = tmp_path / 'tiny_i3d.py'
    cfg.write_text(BACKBONE)
    out_dir = tmp_path / 'features' / 'i3d'
    out = _run('tools/data/extract_features.py', str(cfg), '--videos', str(videos), '--out-dir',
               str(out_dir), '--random-init', '--size', '32', '--device', 'cpu')
    assert f'2 videos found under {videos}' in out
    assert '2/2' in out and 'ETA' in out and '2 of 2 videos extracted' in out
    assert sorted(
        os.listdir(out_dir)) == [f'{vid}.npy', '2793806282.npy', 'feature_extractor.json']
    assert np.load(out_dir / f'{vid}.npy').shape == (3, 4, 4, 16)  # ceil(10 / 4) rows
    assert json.load(open(out_dir / 'feature_extractor.json'))['random_init'] is True
    # the VidSTG dataset looks the features of vid up where the tool wrote them
    data = osp.join(REPO, 'tests', 'data', 'vidstg')
    (tmp_path / 'vidor').mkdir()
    shutil.copy(osp.join(data, 'vidor', f'{vid}.json'), tmp_path / 'vidor')
    dataset = VidSTGDataset(
        ann_file=osp.join(data, f'test_annotations_{vid}.json'),
        data_root=str(tmp_path),
        data_prefix=dict(video='videos', feature='features/i3d', vidor_anno='vidor'))
    info = dataset.get_data_info(0)
    assert info['filename'] == str(videos / '0009' / f'{vid}.mp4')
    assert info['feature_path'] == str(out_dir / f'{vid}.npy')


def test_no_video_fails_before_building_the_backbone(tmp_path):
    videos = tmp_path / 'videos'
    (videos / '0009').mkdir(parents=True)
    (videos / '0009' / 'readme.txt').write_text('x')
    out_dir = tmp_path / 'out'
    code, out, err = _run_status('tools/data/extract_features.py', EXTRACTORS[0], '--videos',
                                 str(videos), '--out-dir', str(out_dir), '--checkpoint',
                                 str(tmp_path / 'missing.pth'))
    assert code == 1
    assert f'no video found under --videos {videos} (searched recursively' in err
    # nothing built (the checkpoint does not even exist), nothing written
    assert not out_dir.exists()
    listed = tmp_path / 'list.txt'
    listed.write_text('\n')
    with pytest.raises(SystemExit, match='no video listed in --videos'):
        extract_features.main(
            [EXTRACTORS[0], '--videos',
             str(listed), '--out-dir',
             str(out_dir), '--random-init'])


def test_two_videos_with_one_stem_are_an_error(tmp_path):
    videos = tmp_path / 'videos'
    for folder in ('0001', '0002'):
        write_test_video(str(videos / folder / 'clip.mp4'), num_frames=2, size=(16, 16))
    with pytest.raises(OverwriteInputError, match="same stem 'clip'.*same file"):
        extract_features.main([
            EXTRACTORS[0], '--videos',
            str(videos), '--out-dir',
            str(tmp_path / 'out'), '--random-init'
        ])
    with pytest.raises(OverwriteInputError, match="same stem 'clip'.*h5 key"):
        extract_features.main([
            EXTRACTORS[0], '--videos',
            str(videos), '--out-dir',
            str(tmp_path / 'out'), '--h5', 'f.h5', '--random-init'
        ])
    assert not (tmp_path / 'out').exists()


def test_failed_videos_are_listed_and_exit_1(tmp_path):
    videos = tmp_path / 'videos'
    write_test_video(str(videos / 'a' / 'good.mp4'), num_frames=5, size=(32, 32))
    (videos / 'b').mkdir()
    (videos / 'b' / 'broken.mp4').write_text('not a video')
    cfg = tmp_path / 'tiny_i3d.py'
    cfg.write_text(BACKBONE)
    out_dir = tmp_path / 'out'
    code, out, err = _run_status('tools/data/extract_features.py', str(cfg), '--videos',
                                 str(videos), '--out-dir', str(out_dir), '--random-init', '--size',
                                 '32', '--device', 'cpu')
    assert code == 1, out + err
    assert '1 of 2 videos extracted' in out and '1 failed' in out
    assert '1 of 2 videos failed' in err and str(videos / 'b' / 'broken.mp4') in err
    assert (out_dir / 'good.npy').exists() and not (out_dir / 'broken.npy').exists()


def test_backbone_weights_under_any_prefix(tmp_path):
    """A bare backbone, a recognizer (``backbone.``), a grounder (``video_encoder.backbone.``,
    wrapped in ``module.``) give the same weights; a checkpoint without them all is an error
    naming what it lacks (mmengine's non-strict loading would keep the random weights)."""
    cfg = tmp_path / 'tiny_i3d.py'
    cfg.write_text(BACKBONE)
    model = extract_features.build_backbone(str(cfg))
    sd = model.state_dict()
    for prefix in ('', 'backbone.', 'module.video_encoder.backbone.'):
        ckpt = {prefix + k: v + 1 for k, v in sd.items()}
        ckpt['text_encoder.x'] = torch.zeros(1)
        weights, found = extract_features.backbone_weights(ckpt, model)
        assert found == prefix.replace('module.', '') and set(weights) == set(sd)
        assert all(torch.equal(weights[k], sd[k] + 1) for k in sd)
    partial = {'backbone.' + k: v for k, v in list(sd.items())[:-2]}
    with pytest.raises(KeyError, match="under 'backbone.' it lacks 2 of"):
        extract_features.backbone_weights(partial, model, 'x.pth')
    with pytest.raises(KeyError, match='no key ends with'):
        extract_features.backbone_weights({'head.w': torch.zeros(1)}, model, 'x.pth')
