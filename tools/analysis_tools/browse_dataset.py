"""Render dataset samples AFTER the pipeline (augmentations included), boxes drawn, so that
augmentation and box-transform bugs are visible.

    python tools/analysis_tools/browse_dataset.py CONFIG [--split train] [--num-samples 4] \
        [--frames 8] [--out-dir work_dirs/browse_dataset] [--video]

For each of the first ``--num-samples`` queries, the frames the pipeline outputs (after
decoding, resizing, cropping, flipping ...) are drawn with the GT box of every frame inside
the GT span, the (possibly flipped) sentence above, and ``--frames`` of them are laid out in
``sample_<i>.png``; ``--video`` also writes every sampled frame to ``sample_<i>.mp4``. The
boxes are the ones the model is trained on (pipeline pixels), not the annotation's.
"""
import argparse
import os.path as osp

import numpy as np
from mmengine.config import DictAction
from mmengine.utils import mkdir_or_exist

import mmstvg.visualization.draw_tube as dt
from mmstvg.registry import DATASETS
from mmstvg.utils import load_config, register_all_modules
from mmstvg.utils.data_root import add_root_arguments
from mmstvg.utils.video_io import VideoWriter
from mmstvg.visualization import draw_tube_frame, make_montage


def render_sample(packed: dict, num_frames: int, zoom: int = 1):
    """Drawn frames of one packed sample: list of (H', W', 3) uint8 and the montage."""
    imgs = packed['inputs'].get('imgs')
    if imgs is None:
        raise ValueError('browse_dataset draws frames: the pipeline outputs none (a '
                         'feature pipeline?)')
    sample = packed['data_samples']
    frames = imgs.numpy().transpose(0, 2, 3, 1)  # (T, H, W, 3) RGB uint8
    if zoom > 1:
        frames = frames.repeat(zoom, 1).repeat(zoom, 2)
    gt = sample.get('gt_tube', None)
    boxes = in_span = None
    if gt is not None and 'frame_bboxes' in gt:
        boxes = gt.frame_bboxes.numpy() * zoom
        in_span = gt.frame_in_span.numpy()
    sentence = str(sample.metainfo.get('sentence', ''))
    width = frames.shape[2]
    band = dt.render_caption(sentence, width, 0.4, 1, max_lines=3)
    frame_ids = sample.metainfo.get('frame_inds', list(range(len(frames))))
    drawn = [
        draw_tube_frame(
            f,
            int(i),
            gt_box=boxes[k] if boxes is not None and in_span[k] else None,
            caption_band=band,
            even=True) for k, (f, i) in enumerate(zip(frames, frame_ids))
    ]
    pick = np.linspace(0, len(drawn) - 1, min(num_frames, len(drawn))).round().astype(int)
    return drawn, make_montage([drawn[i] for i in pick], ncols=4)


def main(argv=None):
    parser = argparse.ArgumentParser(description='Render dataset samples after the pipeline')
    parser.add_argument('config')
    parser.add_argument('--split', choices=['train', 'val', 'test'], default='train')
    parser.add_argument('--num-samples', type=int, default=4)
    parser.add_argument('--frames', type=int, default=8, help='frames in each montage')
    parser.add_argument('--zoom', type=int, default=2, help='integer enlargement')
    parser.add_argument('--out-dir', default='work_dirs/browse_dataset')
    parser.add_argument('--video', action='store_true', help='also write sample_<i>.mp4')
    add_root_arguments(parser)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    import cv2
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options, args.data_root, args.pretrained_root)
    loader = cfg.get(f'{args.split}_dataloader')
    if not loader:
        raise KeyError(f'the config has no {args.split}_dataloader')
    dataset = DATASETS.build(loader['dataset'])
    mkdir_or_exist(args.out_dir)
    written = []
    for i in range(min(args.num_samples, len(dataset))):
        packed = dataset[i]
        drawn, montage = render_sample(packed, args.frames, args.zoom)
        path = osp.join(args.out_dir, f'sample_{i}.png')
        cv2.imwrite(path, montage[..., ::-1])
        written.append(path)
        if args.video:
            fps = float(packed['data_samples'].metainfo.get('fps') or 8)
            with VideoWriter(osp.join(args.out_dir, f'sample_{i}.mp4'), fps) as writer:
                for img in drawn:
                    writer.write(img)
        meta = packed['data_samples'].metainfo
        print(f'[{i}] qid={meta.get("qid")} flip={meta.get("flip", False)} '
              f'frames={len(drawn)} -> {path}')
    return written


if __name__ == '__main__':
    main()
