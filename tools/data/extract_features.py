"""Extract clip-level feature maps of whole videos with any mmaction2 3-D backbone.

One ``<video stem>.npy`` (or one ``.h5`` holding every video) per video of a folder (searched
recursively, e.g. VidOR's ``videos/<folder>/<vid>.mp4``) or of a list file:

    row r = the clip of ``clip_len`` frames, ``frame_interval`` original frames apart, centred
            on original frame ``r * stride`` (indices clamped to the video), run through the
            backbone, averaged over time: shape (num_rows, h, w, C), float32 / float16,

which is exactly what ``LoadSTVGFeatures(frame_stride=stride)`` indexes (frame i reads row
``i // stride``). The datasets look a video's features up by its stem
(``data_prefix['feature']`` / ``<video stem>.npy``, the VidSTG ``vid``, the HC-STVG video name),
so the outputs are flat and two videos with one stem are an error. Multi-pathway outputs
(SlowFast) are averaged over time per pathway, pooled to the first pathway's spatial size and
concatenated on channels; ``out_size`` then pools the map to a fixed (h, w).

Videos are decoded once, frame by frame (``mmstvg.utils.video_io.iter_frames``), and only the
frames of the next ``--batch-clips`` clips are held (:class:`ClipBatcher`): memory does not
grow with the length of the video.

The config is either an extractor config (``configs/_base_/feature_extractors/``) with a
``feature_extractor = dict(backbone=..., clip_len=..., frame_interval=..., stride=...,
size=..., mean=..., std=..., out_size=..., out_channels=...)``, whose values are the
defaults of the command-line options, or any config with a top-level ``backbone = dict(...)``
or an mmaction2 recognizer's ``model.backbone`` (then the options' own defaults apply).
``out_channels``, when given, is checked against the extracted maps (the training configs
derive their model input channels from it). ``--checkpoint`` loads the backbone's weights
from a bare backbone checkpoint, an mmaction2 recognizer or detector (``backbone.*`` keys) or
an mmstvg grounder whose video encoder has this backbone (``video_encoder.backbone.*``): every
weight of the backbone must be in it, under one prefix, with its shape (else an error names
what is missing); the rest of the checkpoint is ignored. It is required: features of a
randomly initialised backbone are only written with ``--random-init`` (tests, smoke runs).
The settings used are written to ``OUT_DIR/feature_extractor.json``.

    # GKCMN: I3D R50, clips of 8 frames every 4 frames, 224x224, 7x7x2048 maps
    python tools/data/extract_features.py configs/_base_/feature_extractors/i3d_r50_k400.py \
        --videos data/vidstg/videos --out-dir data/vidstg/features/i3d \
        --checkpoint data/pretrained/i3d_r50_kinetics400.pth
    # GKCMN on the synthetic benchmark: the tiny 3-D ResNet of the end-to-end synthetic GKCMN
    python tools/data/extract_features.py configs/_base_/feature_extractors/r3d18_tiny_synth.py \
        --videos data/synth_stvg/videos --out-dir data/synth_stvg/features/r3d18_tiny \
        --checkpoint work_dirs/gkcmn_r3d18-tiny_1xb8-t32-8e_synth/epoch_8.pth
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
import re
import sys

import mmengine
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.utils import ProgressBar

VIDEO_EXTS = ('.mp4', '.avi', '.mkv', '.webm', '.mov')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Extract clip feature maps of videos')
    parser.add_argument('config', help='config with `backbone` or `model.backbone`')
    parser.add_argument(
        '--videos',
        required=True,
        help='folder of videos, or a text file with one video path per line')
    parser.add_argument('--out-dir', required=True, help='output folder')
    weights = parser.add_mutually_exclusive_group()
    weights.add_argument(
        '--checkpoint',
        help='backbone, recognizer or detector checkpoint (required unless --random-init)')
    weights.add_argument(
        '--random-init',
        action='store_true',
        help='extract with randomly initialised weights, on purpose (tests, smoke runs): '
        'such features are useless for training')
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
    parser.add_argument(
        '--skip-existing',
        action='store_true',
        help='keep the videos whose features are already there (resume a run)')
    args = parser.parse_args(argv)
    if not args.checkpoint and not args.random_init:
        parser.error('no --checkpoint given: the features would come from a randomly '
                     'initialised backbone. Pass --checkpoint PATH (e.g. mmaction2\'s '
                     'Kinetics-400 I3D R50, docs/dataset_prepare.md), or --random-init to '
                     'extract random features on purpose.')
    return args


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
    ``model.backbone``) in mmaction2's scope, load ``checkpoint`` (:func:`backbone_weights`)
    and set eval mode."""
    import mmstvg  # noqa: F401  (compat shims for mmaction2)
    from mmstvg.registry import MODELS
    from mmstvg.utils import register_all_modules
    from mmstvg.utils.checkpoint_safety import safe_torch_load
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
        ckpt = safe_torch_load(checkpoint, map_location='cpu')  # errors name the file
        state_dict = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else ckpt
        weights, prefix = backbone_weights(state_dict, model, checkpoint)
        model.load_state_dict(weights, strict=True)
        print(f'loaded {len(weights)} backbone weights from {checkpoint} '
              f'(keys {prefix or "without a prefix"}*)')
    elif hasattr(model, 'init_weights'):
        model.init_weights()
    model.eval()  # mmaction's ResNet3d.train() does not return the module
    return model


def backbone_weights(state_dict: dict, model: torch.nn.Module, checkpoint: str = 'checkpoint'):
    """The weights of ``model`` (a backbone) in a checkpoint's ``state_dict``:
    ``(weights, prefix)``, every key of ``model.state_dict()`` found under one ``prefix``
    (``''`` for a bare backbone, ``'backbone.'`` for an mmaction2 recognizer or detector,
    ``'video_encoder.backbone.'`` for an mmstvg grounder ...; a ``module.`` wrapper prefix is
    dropped first), the shortest such prefix.

    Raises:
        KeyError: no prefix holds every weight of the backbone (the message names the
            closest prefix and what it lacks).
    """
    sd = {re.sub(r'^module\.', '', k): v for k, v in state_dict.items()}
    wanted = list(model.state_dict().keys())
    anchor = wanted[0]
    prefixes = sorted(
        {
            k[:len(k) - len(anchor)]
            for k in sd if k.endswith(anchor) and (k == anchor or k[-len(anchor) - 1] == '.')
        },
        key=len)
    best = None
    for prefix in prefixes:
        missing = [k for k in wanted if prefix + k not in sd]
        if not missing:
            return {k: sd[prefix + k] for k in wanted}, prefix
        if best is None or len(missing) < len(best[1]):
            best = (prefix, missing)
    where = (f'under {best[0]!r} it lacks {len(best[1])} of {len(wanted)}, e.g. '
             f'{best[1][:3]}' if best else f'no key ends with {anchor!r}')
    raise KeyError(f'{checkpoint} does not hold the weights of the backbone of the config '
                   f'({len(wanted)} weights, e.g. {anchor!r}): {where}. Give the checkpoint '
                   'of a model with this backbone (a recognizer, a detector, a grounder whose '
                   'video encoder has it) or of the backbone itself.')


def list_videos(videos: str) -> list:
    """The videos to extract: every file with a video suffix (:data:`VIDEO_EXTS`) under the
    folder ``videos``, at any depth (VidOR's ``<folder>/<vid>.mp4``; hidden files and folders
    are ignored), sorted; or the paths listed one per line in the file ``videos``."""
    if osp.isdir(videos):
        found = []
        for root, dirs, files in os.walk(videos, followlinks=True):
            dirs[:] = [d for d in dirs if not d.startswith('.')]
            found += [
                osp.join(root, f) for f in files
                if f.lower().endswith(VIDEO_EXTS) and not f.startswith('.')
            ]
        return sorted(found)
    if not osp.isfile(videos):
        raise FileNotFoundError(f'--videos {videos!r} is neither a folder nor a list file')
    with open(videos) as f:
        return [line.strip() for line in f if line.strip()]


def video_stem(path: str) -> str:
    """The name a video's features are stored under (``<stem>.npy`` / the h5 key): what the
    datasets' ``get_feature_path`` looks up."""
    return osp.splitext(osp.basename(path))[0]


def check_unique_stems(videos: list, args) -> None:
    """Two videos with one stem would be written to one feature file (the datasets look
    features up by stem only): raise ``OverwriteInputError`` naming both."""
    from mmstvg.utils.path_guard import OverwriteInputError
    seen = {}
    for path in videos:
        stem = video_stem(path)
        if stem in seen:
            where = f'the h5 key {stem!r} of --h5 {args.h5}' if args.h5 else \
                osp.join(args.out_dir, stem + '.npy')
            raise OverwriteInputError(
                f'--videos: {seen[stem]} and {path} have the same stem {stem!r}, so both '
                f'would be written to the same file ({where}); the datasets look features '
                'up by video stem. Rename one of them or extract them into separate folders.')
        seen[stem] = path


def clip_offsets(clip_len: int, frame_interval: int = 1) -> np.ndarray:
    """(clip_len,) offsets of a clip's frames from its centre frame."""
    return (np.arange(clip_len) - clip_len // 2) * frame_interval


def row_indices(rows,
                num_frames: int,
                clip_len: int,
                stride: int,
                frame_interval: int = 1) -> np.ndarray:
    """(len(rows), clip_len) frame indices of the clips of ``rows`` (centred on frame
    ``row * stride``), clamped to ``[0, num_frames - 1]``."""
    centres = np.asarray(rows, dtype=np.int64) * stride
    offsets = clip_offsets(clip_len, frame_interval)
    return np.clip(centres[:, None] + offsets[None], 0, num_frames - 1)


def clip_indices(num_frames: int,
                 clip_len: int,
                 stride: int,
                 frame_interval: int = 1) -> np.ndarray:
    """(num_rows, clip_len) frame indices: row r is the clip of ``clip_len`` frames
    ``frame_interval`` apart centred on frame ``r * stride`` (clamped to the video),
    ``num_rows = ceil(num_frames / stride)``."""
    return row_indices(
        np.arange(math.ceil(num_frames / stride)), num_frames, clip_len, stride, frame_interval)


class ClipBatcher:
    """Batches of the clips of :func:`clip_indices` from a stream of frames, holding only a
    window of frames.

    The frames arrive once, in order. Rows are emitted in batches of ``batch_clips``
    consecutive rows (the last batch may be shorter), exactly the batches
    ``clip_indices(num_frames, ...)[b:b + batch_clips]`` of the whole video, although the
    number of frames is only known when the stream ends:

    - the batch of rows ``r0 .. r1`` (``r1 = r0 + batch_clips - 1``) is complete as soon as
      frame ``r1 * stride + max(offsets)`` has arrived: every frame it reads is then known
      and none is past the end, so no index needs clamping but the clamp to frame 0;
    - when the stream ends after ``num_frames`` frames, the remaining rows
      (up to ``ceil(num_frames / stride) - 1``) are emitted with their indices clamped to
      ``num_frames - 1``, as :func:`clip_indices` does.

    Only frames that some clip reads are kept (``transform``, e.g. the resize, is applied to
    those only; the most recent frame is also kept untransformed, as it may turn out to be
    the last one, which the clamped clips read), and frames before the first one the next
    batch reads are dropped. So at most :attr:`window` transformed frames are held at once,
    whatever the length of the video: ``(batch_clips - 1) * stride + (clip_len - 1) *
    frame_interval + 1`` (68 for the I3D extractor and 16 clips per batch), plus the one
    untransformed frame. :attr:`peak_frames` counts the transformed frames actually held.

    Args:
        clip_len (int): frames per clip.
        stride (int): frames between the centres of consecutive rows.
        frame_interval (int): frames between the frames of a clip. Defaults to 1.
        batch_clips (int): rows per batch. Defaults to 16.
        transform (callable, optional): applied to each kept frame (e.g. resize).
    """

    def __init__(self,
                 clip_len: int,
                 stride: int,
                 frame_interval: int = 1,
                 batch_clips: int = 16,
                 transform=None) -> None:
        if min(clip_len, stride, frame_interval, batch_clips) < 1:
            raise ValueError('clip_len, stride, frame_interval and batch_clips must be >= 1')
        self.clip_len = int(clip_len)
        self.stride = int(stride)
        self.frame_interval = int(frame_interval)
        self.batch_clips = int(batch_clips)
        self.transform = transform
        self.offsets = clip_offsets(self.clip_len, self.frame_interval)
        self.lo, self.hi = int(self.offsets.min()), int(self.offsets.max())
        self.num_frames = 0
        self.peak_frames = 0

    @property
    def window(self) -> int:
        """The most transformed frames held at once (see the class docstring)."""
        return (self.batch_clips - 1) * self.stride + self.hi - self.lo + 1

    def _needed(self, idx: int) -> bool:
        """Some clip reads frame ``idx`` (its centre ``idx - offset`` is a row's centre)."""
        return any(c >= 0 and c % self.stride == 0 for c in idx - self.offsets)

    def _take(self, window: dict, rows: np.ndarray, num_frames: int) -> np.ndarray:
        inds = row_indices(rows, num_frames, self.clip_len, self.stride, self.frame_interval)
        return np.stack([np.stack([window[i] for i in row]) for row in inds])

    def __call__(self, frames):
        """Consume ``(idx, frame)`` pairs (``idx`` = 0, 1, 2, ...) and yield
        ``(rows, clips)``: the row numbers (B,) and their clips (B, clip_len, *frame shape)
        of the transformed frames.

        An empty stream yields nothing.

        Raises:
            RuntimeError: the stream skips or repeats an index.
        """
        window, last, r0 = {}, None, 0
        self.num_frames = self.peak_frames = 0
        for idx, img in frames:
            if idx != self.num_frames:
                raise RuntimeError(f'frame {idx} after {self.num_frames} frames: the frames '
                                   'must come in order, each once')
            self.num_frames = idx + 1
            last = img
            if self._needed(idx):
                window[idx] = self.transform(img) if self.transform else img
                self.peak_frames = max(self.peak_frames, len(window))
            r1 = r0 + self.batch_clips - 1
            if idx >= r1 * self.stride + self.hi:  # the batch r0..r1 is complete
                yield np.arange(r0, r1 + 1), self._take(window, np.arange(r0, r1 + 1), idx + 1)
                r0 = r1 + 1
                for i in [i for i in window if i < r0 * self.stride + self.lo]:
                    del window[i]
        if last is None:
            return  # no frame: no clip
        num_frames = self.num_frames
        if num_frames - 1 not in window:  # the frame the clamped clips repeat
            window[num_frames - 1] = self.transform(last) if self.transform else last
            self.peak_frames = max(self.peak_frames, len(window))
        num_rows = math.ceil(num_frames / self.stride)
        for start in range(r0, num_rows, self.batch_clips):
            rows = np.arange(start, min(start + self.batch_clips, num_rows))
            yield rows, self._take(window, rows, num_frames)


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
def extract_video(model, path: str, args, settings: dict = None, stats: dict = None):
    """(num_rows, h, w, C) clip feature maps of the video ``path`` (see module docstring),
    decoded once and streamed through a :class:`ClipBatcher`.

    Args:
        model (nn.Module): the backbone (eval mode, on ``args.device``).
        path (str): the video.
        args (Namespace): ``batch_clips``, ``device``, ``fp16`` (and ``config`` when
            ``settings`` is None).
        settings (dict, optional): :func:`extractor_settings`.
        stats (dict, optional): filled with ``num_frames``, ``peak_frames`` (frames held at
            most) and ``window`` (the bound on them).

    Returns:
        np.ndarray: float32 (float16 with ``args.fp16``) maps.

    Raises:
        RuntimeError: the video cannot be opened or decoded, or has no frame.
        FileNotFoundError: no such file.
    """
    import cv2

    from mmstvg.utils.video_io import VideoReadError, iter_frames
    settings = settings or extractor_settings(args.config, args)
    size = settings['size']
    batcher = ClipBatcher(
        settings['clip_len'],
        settings['stride'],
        settings['frame_interval'],
        args.batch_clips,
        transform=lambda img: cv2.resize(img, (size, size), interpolation=cv2.INTER_LINEAR))
    mean = torch.tensor(settings['mean']).view(1, 3, 1, 1, 1)
    std = torch.tensor(settings['std']).view(1, 3, 1, 1, 1)
    rows = []
    try:
        for _, clips in batcher(iter_frames(path)):
            batch = torch.from_numpy(clips).permute(0, 4, 1, 2, 3).float()  # B,3,T,H,W
            batch = ((batch - mean) / std).to(args.device)
            out = pool_outputs(model(batch), settings['out_size'])
            rows.append(out.permute(0, 2, 3, 1).cpu())
    except VideoReadError as e:
        raise RuntimeError(str(e)) from e
    if not rows:
        raise RuntimeError(f'video {path} has no decodable frame')
    if stats is not None:
        stats.update(
            num_frames=batcher.num_frames, peak_frames=batcher.peak_frames, window=batcher.window)
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
    where = 'listed in' if osp.isfile(args.videos) else 'found under'
    if not videos:
        how = '' if osp.isfile(args.videos) else \
            f' (searched recursively for {", ".join(VIDEO_EXTS)} files)'
        raise SystemExit(f'extract_features: no video {where} --videos {args.videos}{how}; '
                         'nothing to extract. VidSTG: --videos data/vidstg/videos, the folder '
                         "that holds VidOR's <folder>/<vid>.mp4.")
    print(f'{len(videos)} videos {where} {args.videos}')
    check_unique_stems(videos, args)
    from mmstvg.utils.path_guard import check_outputs_not_inputs
    outputs = {'--h5': osp.join(args.out_dir, args.h5)} if args.h5 else \
        {'--out-dir': [osp.join(args.out_dir, video_stem(v) + '.npy') for v in videos]}
    inputs = {
        '--videos': videos + ([args.videos] if osp.isfile(args.videos) else []),
        'config': args.config,
        '--checkpoint': args.checkpoint
    }
    check_outputs_not_inputs(outputs, inputs)
    settings = extractor_settings(args.config, args)
    model = build_backbone(args.config, args.checkpoint)
    model.to(args.device)
    mmengine.dump(
        dict(
            settings,
            config=args.config,
            checkpoint=args.checkpoint,
            random_init=bool(args.random_init),
            dtype='float16' if args.fp16 else 'float32'),
        osp.join(args.out_dir, 'feature_extractor.json'),
        indent=2)
    h5 = None
    if args.h5:
        import h5py
        h5 = h5py.File(osp.join(args.out_dir, args.h5), 'a')
    failed, skipped, written = [], 0, 0
    progress = ProgressBar(len(videos))
    for path in videos:
        stem = video_stem(path)
        out = osp.join(args.out_dir, stem + '.npy')
        if args.skip_existing and ((h5 is not None and stem in h5) or
                                   (h5 is None and osp.exists(out))):
            skipped += 1
            progress.update()
            continue
        try:
            feats = extract_video(model, path, args, settings)
        except (RuntimeError, FileNotFoundError) as e:
            failed.append(f'{path}: {e}')
            progress.update()
            continue
        check_channels(feats, settings, args.config)
        if h5 is not None:
            if stem in h5:
                del h5[stem]
            h5.create_dataset(stem, data=feats)
        else:
            np.save(out, feats)
        written += 1
        progress.update()
    if h5 is not None:
        h5.close()
    target = osp.join(args.out_dir, args.h5) if h5 is not None else args.out_dir
    print(f'\n{written} of {len(videos)} videos extracted to {target}' +
          (f', {skipped} skipped (--skip-existing)' if skipped else '') +
          (f', {len(failed)} failed' if failed else ''))
    if failed:
        print(
            f'{len(failed)} of {len(videos)} videos failed:\n' + '\n'.join(failed),
            file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
