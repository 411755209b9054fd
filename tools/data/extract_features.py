"""Extract clip-level feature maps of whole videos with any mmaction2 3-D backbone.

GKCMN (§2.1, §3) reads the last convolutional map of I3D for clips of 8 frames taken every 4
frames of 224x224 video (7x7 maps). This tool writes such maps for every video of a folder
(or a list file), one ``<video stem>.npy`` (or one ``.h5`` holding every video) per video:

    row r = the clip of ``--clip-len`` frames centred on original frame ``r * --stride``
            (indices clamped to the video), shape (num_rows, h, w, C), float32 / float16,

which is exactly what ``LoadSTVGFeatures(frame_stride=--stride)`` indexes (frame i reads row
``i // stride``). The backbone comes from a config: either a top-level ``backbone = dict(...)``
or an mmaction2 recognizer config's ``model.backbone``; ``--checkpoint`` loads a recognizer
(``backbone.*`` keys) or a bare backbone checkpoint. Multi-pathway outputs (SlowFast) are
averaged over time per pathway, pooled to the first pathway's spatial size and concatenated.

    python tools/data/extract_features.py configs/_base_/models/i3d_r50_feature.py \
        --videos data/vidstg/videos --out-dir data/vidstg/features/i3d \
        --checkpoint data/pretrained/i3d_r50_kinetics400.pth
"""
import argparse
import math
import os
import os.path as osp
import sys

import numpy as np
import torch
import torch.nn.functional as F

VIDEO_EXTS = ('.mp4', '.avi', '.mkv', '.webm', '.mov')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Extract clip feature maps of videos')
    parser.add_argument('config', help='config with `backbone` or `model.backbone`')
    parser.add_argument('--videos', required=True,
                        help='folder of videos, or a text file with one video path per line')
    parser.add_argument('--out-dir', required=True, help='output folder')
    parser.add_argument('--checkpoint', help='backbone or recognizer checkpoint')
    parser.add_argument('--clip-len', type=int, default=8, help='frames per clip')
    parser.add_argument('--stride', type=int, default=4, help='original frames between rows')
    parser.add_argument('--size', type=int, default=224, help='frames are resized to size^2')
    parser.add_argument('--mean', type=float, nargs=3, default=[123.675, 116.28, 103.53])
    parser.add_argument('--std', type=float, nargs=3, default=[58.395, 57.12, 57.375])
    parser.add_argument('--batch-clips', type=int, default=16, help='clips per forward')
    parser.add_argument('--fp16', action='store_true', help='store float16')
    parser.add_argument('--h5', help='write every video into this .h5 file (key = stem) '
                        'instead of one .npy per video')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--skip-existing', action='store_true')
    return parser.parse_args(argv)


def build_backbone(config: str, checkpoint: str = None) -> torch.nn.Module:
    """Build the backbone of ``config`` in mmaction2's scope and load ``checkpoint``."""
    from mmengine.config import Config
    from mmengine.runner import load_checkpoint

    import mmstvg  # noqa: F401  (compat shims for mmaction2)
    from mmstvg.registry import MODELS
    from mmstvg.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(config)
    backbone_cfg = cfg.get('backbone') or cfg.get('model', {}).get('backbone')
    if backbone_cfg is None:
        raise KeyError(f'{config}: neither `backbone` nor `model.backbone` is defined')
    backbone_cfg = backbone_cfg.to_dict() if hasattr(backbone_cfg, 'to_dict') else \
        dict(backbone_cfg)
    if not backbone_cfg['type'].startswith(('mmaction.', 'mmstvg.', 'mmdet.')):
        backbone_cfg['type'] = 'mmaction.' + backbone_cfg['type']
    model = MODELS.build(backbone_cfg)
    if checkpoint:
        load_checkpoint(model, checkpoint, map_location='cpu',
                        revise_keys=[(r'^module\.', ''), (r'^backbone\.', '')])
    elif hasattr(model, 'init_weights'):
        model.init_weights()
    model.eval()  # mmaction's ResNet3d.train() does not return the module
    return model


def list_videos(videos: str) -> list:
    if osp.isdir(videos):
        return sorted(osp.join(videos, f) for f in os.listdir(videos)
                      if f.lower().endswith(VIDEO_EXTS))
    if not osp.isfile(videos):
        raise FileNotFoundError(f'--videos {videos!r} is neither a folder nor a list file')
    with open(videos) as f:
        return [line.strip() for line in f if line.strip()]


def read_frames(path: str, size: int) -> np.ndarray:
    """All frames of ``path`` resized to (size, size): (N, size, size, 3) uint8 RGB."""
    import av
    import cv2
    frames = []
    try:
        with av.open(path) as container:
            for frame in container.decode(video=0):
                img = frame.to_ndarray(format='rgb24')
                frames.append(cv2.resize(img, (size, size), interpolation=cv2.INTER_LINEAR))
    except (av.error.FFmpegError, OSError) as e:
        raise RuntimeError(f'cannot decode video {path}: {e}') from e
    if not frames:
        raise RuntimeError(f'video {path} has no decodable frame')
    return np.stack(frames)


def clip_indices(num_frames: int, clip_len: int, stride: int) -> np.ndarray:
    """(num_rows, clip_len) frame indices: row r is centred on frame r * stride."""
    rows = math.ceil(num_frames / stride)
    centres = np.arange(rows) * stride
    offsets = np.arange(clip_len) - clip_len // 2
    return np.clip(centres[:, None] + offsets[None], 0, num_frames - 1)


def pool_outputs(outs) -> torch.Tensor:
    """Backbone output(s) (B, C_k, T_k, h_k, w_k) -> (B, C, h, w) (time averaged)."""
    outs = outs if isinstance(outs, (tuple, list)) else (outs, )
    size = tuple(outs[0].shape[-2:])
    maps = []
    for o in outs:
        o = o.mean(2)
        if tuple(o.shape[-2:]) != size:
            o = F.adaptive_avg_pool2d(o, size)
        maps.append(o)
    return torch.cat(maps, dim=1)


@torch.no_grad()
def extract_video(model, path: str, args) -> np.ndarray:
    frames = read_frames(path, args.size)
    inds = clip_indices(len(frames), args.clip_len, args.stride)
    mean = torch.tensor(args.mean).view(1, 3, 1, 1, 1)
    std = torch.tensor(args.std).view(1, 3, 1, 1, 1)
    rows = []
    for start in range(0, len(inds), args.batch_clips):
        batch = torch.from_numpy(frames[inds[start:start + args.batch_clips]])  # B,T,H,W,3
        batch = batch.permute(0, 4, 1, 2, 3).float()
        batch = ((batch - mean) / std).to(args.device)
        rows.append(pool_outputs(model(batch)).permute(0, 2, 3, 1).cpu())
    feats = torch.cat(rows).numpy()
    return feats.astype(np.float16 if args.fp16 else np.float32)


def main(argv=None):
    args = parse_args(argv)
    videos = list_videos(args.videos)
    from mmstvg.utils.path_guard import check_outputs_not_inputs
    check_outputs_not_inputs(   # also: two videos with one stem would share an output
        {'--h5': osp.join(args.out_dir, args.h5)} if args.h5 else
        {'--out-dir': [osp.join(args.out_dir, osp.splitext(osp.basename(v))[0] + '.npy')
                       for v in videos]},
        {'--videos': videos + ([args.videos] if osp.isfile(args.videos) else []),
         'config': args.config, '--checkpoint': args.checkpoint})
    model = build_backbone(args.config, args.checkpoint)
    model.to(args.device)
    os.makedirs(args.out_dir, exist_ok=True)
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
            feats = extract_video(model, path, args)
        except (RuntimeError, FileNotFoundError) as e:
            failed.append(f'{path}: {e}')
            print(f'[{i + 1}/{len(videos)}] FAILED {e}', file=sys.stderr)
            continue
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
        print(f'{len(failed)} of {len(videos)} videos failed:\n' + '\n'.join(failed),
              file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
