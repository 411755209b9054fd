"""Extract clip-level feature maps of whole videos with any mmaction2 3-D backbone.

One ``<video stem>.npy`` (or one ``.h5`` holding every video) per video of a folder (or a
list file):

    row r = the clip of ``clip_len`` frames, ``frame_interval`` original frames apart, centred
            on original frame ``r * stride`` (indices clamped to the video), run through the
            backbone, averaged over time: shape (num_rows, h, w, C), float32 / float16,

which is exactly what ``LoadSTVGFeatures(frame_stride=stride)`` indexes (frame i reads row
``i // stride``). Multi-pathway outputs (SlowFast) are averaged over time per pathway, pooled
to the first pathway's spatial size and concatenated on channels; ``out_size`` then pools the
map to a fixed (h, w).

The config is either an extractor config (``configs/_base_/feature_extractors/``) with a
``feature_extractor = dict(backbone=..., clip_len=..., frame_interval=..., stride=...,
size=..., mean=..., std=..., out_size=..., out_channels=...)``, whose values are the
defaults of the command-line options, or any config with a top-level ``backbone = dict(...)``
or an mmaction2 recognizer's ``model.backbone`` (then the options' own defaults apply).
``out_channels``, when given, is checked against the extracted maps (the training configs
derive their model input channels from it). ``--checkpoint`` loads a recognizer or detector
(``backbone.*`` keys) or a bare backbone checkpoint. The settings used are written to
``OUT_DIR/feature_extractor.json``.

    # GKCMN: I3D R50, clips of 8 frames every 4 frames, 224x224, 7x7x2048 maps
    python tools/data/extract_features.py configs/_base_/feature_extractors/i3d_r50_k400.py \
        --videos data/vidstg/videos --out-dir data/vidstg/features/i3d \
        --checkpoint data/pretrained/i3d_r50_kinetics400.pth
    # STVGFormer: SlowFast R50 4x16 (AVA), clips of 32 frames every 2nd frame, every 8 frames
    python tools/data/extract_features.py \
        configs/_base_/feature_extractors/slowfast_r50_4x16_ava.py \
        --videos data/hcstvg_v2/videos --out-dir data/hcstvg_v2/features/slowfast \
        --checkpoint data/pretrained/slowfast_r50_4x16_ava.pth --fp16
"""
import argparse
import math
import os
import os.path as osp
import sys

import mmengine
import numpy as np
import torch
import torch.nn.functional as F

VIDEO_EXTS = ('.mp4', '.avi', '.mkv', '.webm', '.mov')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Extract clip feature maps of videos')
    parser.add_argument('config', help='config with `backbone` or `model.backbone`')
    parser.add_argument(
        '--videos',
        required=True,
        help='folder of videos, or a text file with one video path per line')
    parser.add_argument('--out-dir', required=True, help='output folder')
    parser.add_argument('--checkpoint', help='backbone or recognizer checkpoint')
    # None: the config's `feature_extractor` value, else the default in brackets
    parser.add_argument('--clip-len', type=int, help='frames per clip [8]')
    parser.add_argument(
        '--frame-interval', type=int, help='original frames between the frames of a clip [1]')
    parser.add_argument('--stride', type=int, help='original frames between rows [4]')
    parser.add_argument('--size', type=int, help='frames are resized to size^2 [224]')
    parser.add_argument(
        '--out-size',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        help='average-pool the maps to H x W [the backbone\'s own size]')
    parser.add_argument('--mean', type=float, nargs=3, help='[123.675 116.28 103.53]')
    parser.add_argument('--std', type=float, nargs=3, help='[58.395 57.12 57.375]')
    parser.add_argument('--batch-clips', type=int, default=16, help='clips per forward')
    parser.add_argument('--fp16', action='store_true', help='store float16')
    parser.add_argument(
        '--h5',
        help='write every video into this .h5 file (key = stem) '
        'instead of one .npy per video')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--skip-existing', action='store_true')
    return parser.parse_args(argv)


DEFAULTS = dict(
    clip_len=8,
    frame_interval=1,
    stride=4,
    size=224,
    out_size=None,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    out_channels=None)


def load_config(config: str):
    from mmstvg.utils import load_config as load_checked  # syntax errors, _base_ cycles
    return load_checked(config)


def extractor_settings(config: str, args=None) -> dict:
    """Clip sampling and output settings: the command line's, else the config's
    ``feature_extractor`` values, else :data:`DEFAULTS`."""
    cfg = load_config(config)
    settings = dict(DEFAULTS)
    extractor = cfg.get('feature_extractor') or {}
    settings.update({k: extractor[k] for k in DEFAULTS if k in extractor})
    for key in DEFAULTS:
        value = getattr(args, key, None) if args is not None else None
        if value is not None:
            settings[key] = value
    for key in ('clip_len', 'frame_interval', 'stride', 'size'):
        if int(settings[key]) < 1:
            raise ValueError(f'{config}: {key} must be >= 1, got {settings[key]}')
        settings[key] = int(settings[key])
    if settings['out_size'] is not None:
        settings['out_size'] = tuple(int(v) for v in settings['out_size'])
    return settings


def build_backbone(config: str, checkpoint: str = None) -> torch.nn.Module:
    """Build the backbone of ``config`` (``feature_extractor.backbone``, ``backbone`` or
    ``model.backbone``) in mmaction2's scope, load ``checkpoint`` and set eval mode."""
    from mmengine.runner import load_checkpoint

    import mmstvg  # noqa: F401  (compat shims for mmaction2)
    from mmstvg.registry import MODELS
    from mmstvg.utils import register_all_modules
    register_all_modules()
    cfg = load_config(config)
    backbone_cfg = (cfg.get('feature_extractor') or {}).get('backbone') or \
        cfg.get('backbone') or cfg.get('model', {}).get('backbone')
    if backbone_cfg is None:
        raise KeyError(f'{config}: none of `feature_extractor.backbone`, `backbone` and '
                       '`model.backbone` is defined')
    backbone_cfg = backbone_cfg.to_dict() if hasattr(backbone_cfg, 'to_dict') else \
        dict(backbone_cfg)
    if not backbone_cfg['type'].startswith(('mmaction.', 'mmstvg.', 'mmdet.')):
        backbone_cfg['type'] = 'mmaction.' + backbone_cfg['type']
    model = MODELS.build(backbone_cfg)
    if checkpoint:
        load_checkpoint(
            model,
            checkpoint,
            map_location='cpu',
            revise_keys=[(r'^module\.', ''), (r'^backbone\.', '')])
    elif hasattr(model, 'init_weights'):
        model.init_weights()
    model.eval()  # mmaction's ResNet3d.train() does not return the module
    return model


def list_videos(videos: str) -> list:
    if osp.isdir(videos):
        return sorted(
            osp.join(videos, f) for f in os.listdir(videos) if f.lower().endswith(VIDEO_EXTS))
    if not osp.isfile(videos):
        raise FileNotFoundError(f'--videos {videos!r} is neither a folder nor a list file')
    with open(videos) as f:
        return [line.strip() for line in f if line.strip()]


def read_frames(path: str, size: int) -> np.ndarray:
    """All frames of ``path`` resized to (size, size): (N, size, size, 3) uint8 RGB."""
    import cv2

    from mmstvg.utils.video_io import VideoReadError, iter_frames
    try:
        frames = [
            cv2.resize(img, (size, size), interpolation=cv2.INTER_LINEAR)
            for _, img in iter_frames(path)
        ]
    except VideoReadError as e:
        raise RuntimeError(str(e)) from e
    if not frames:
        raise RuntimeError(f'video {path} has no decodable frame')
    return np.stack(frames)


def clip_indices(num_frames: int,
                 clip_len: int,
                 stride: int,
                 frame_interval: int = 1) -> np.ndarray:
    """(num_rows, clip_len) frame indices: row r is the clip of ``clip_len`` frames
    ``frame_interval`` apart centred on frame ``r * stride`` (clamped to the video)."""
    rows = math.ceil(num_frames / stride)
    centres = np.arange(rows) * stride
    offsets = (np.arange(clip_len) - clip_len // 2) * frame_interval
    return np.clip(centres[:, None] + offsets[None], 0, num_frames - 1)


def pool_outputs(outs, out_size=None) -> torch.Tensor:
    """Backbone output(s) (B, C_k, T_k, h_k, w_k) -> (B, C, h, w): each averaged over time,
    pooled to the first one's (h, w), concatenated, then pooled to ``out_size`` if given."""
    outs = outs if isinstance(outs, (tuple, list)) else (outs, )
    size = tuple(outs[0].shape[-2:])
    maps = []
    for o in outs:
        o = o.mean(2)
        if tuple(o.shape[-2:]) != size:
            o = F.adaptive_avg_pool2d(o, size)
        maps.append(o)
    out = torch.cat(maps, dim=1)
    if out_size is not None and tuple(out.shape[-2:]) != tuple(out_size):
        out = F.adaptive_avg_pool2d(out, tuple(out_size))
    return out


@torch.no_grad()
def extract_video(model, path: str, args, settings: dict = None) -> np.ndarray:
    """(num_rows, h, w, C) clip feature maps of the video ``path`` (see module docstring)."""
    settings = settings or extractor_settings(args.config, args)
    frames = read_frames(path, settings['size'])
    inds = clip_indices(
        len(frames), settings['clip_len'], settings['stride'], settings['frame_interval'])
    mean = torch.tensor(settings['mean']).view(1, 3, 1, 1, 1)
    std = torch.tensor(settings['std']).view(1, 3, 1, 1, 1)
    rows = []
    for start in range(0, len(inds), args.batch_clips):
        batch = torch.from_numpy(frames[inds[start:start + args.batch_clips]])  # B,T,H,W,3
        batch = batch.permute(0, 4, 1, 2, 3).float()
        batch = ((batch - mean) / std).to(args.device)
        out = pool_outputs(model(batch), settings['out_size'])
        rows.append(out.permute(0, 2, 3, 1).cpu())
    feats = torch.cat(rows).numpy()
    return feats.astype(np.float16 if args.fp16 else np.float32)


def check_channels(feats: np.ndarray, settings: dict, config: str) -> None:
    """The maps have the ``out_channels`` the config promises (what the training configs
    derive their input channels from)."""
    expected = settings.get('out_channels')
    if expected is not None and feats.shape[-1] != int(expected):
        raise ValueError(f'{config}: the backbone gives {feats.shape[-1]}-channel maps but '
                         f'`feature_extractor.out_channels` is {expected}; fix the config '
                         '(the training configs read their input channels from it).')


def main(argv=None):
    args = parse_args(argv)
    videos = list_videos(args.videos)
    from mmstvg.utils.path_guard import check_outputs_not_inputs
    check_outputs_not_inputs(  # also: two videos with one stem would share an output
        {'--h5': osp.join(args.out_dir, args.h5)} if args.h5 else {
            '--out-dir':
            [osp.join(args.out_dir,
                      osp.splitext(osp.basename(v))[0] + '.npy') for v in videos]
        }, {
            '--videos': videos + ([args.videos] if osp.isfile(args.videos) else []),
            'config': args.config,
            '--checkpoint': args.checkpoint
        })
    settings = extractor_settings(args.config, args)
    model = build_backbone(args.config, args.checkpoint)
    model.to(args.device)
    mmengine.dump(
        dict(
            settings,
            config=args.config,
            checkpoint=args.checkpoint,
            dtype='float16' if args.fp16 else 'float32'),
        osp.join(args.out_dir, 'feature_extractor.json'),
        indent=2)
    h5 = None
    if args.h5:
        import h5py
        h5 = h5py.File(osp.join(args.out_dir, args.h5), 'a')
    failed = []
    for i, path in enumerate(videos):
        stem = osp.splitext(osp.basename(path))[0]
        out = osp.join(args.out_dir, stem + '.npy')
        if args.skip_existing and ((h5 is not None and stem in h5) or
                                   (h5 is None and osp.exists(out))):
            continue
        try:
            feats = extract_video(model, path, args, settings)
        except (RuntimeError, FileNotFoundError) as e:
            failed.append(f'{path}: {e}')
            print(f'[{i + 1}/{len(videos)}] FAILED {e}', file=sys.stderr)
            continue
        check_channels(feats, settings, args.config)
        if h5 is not None:
            if stem in h5:
                del h5[stem]
            h5.create_dataset(stem, data=feats)
        else:
            np.save(out, feats)
        print(f'[{i + 1}/{len(videos)}] {stem}: {tuple(feats.shape)}')
    if h5 is not None:
        h5.close()
    if failed:
        print(
            f'{len(failed)} of {len(videos)} videos failed:\n' + '\n'.join(failed),
            file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
