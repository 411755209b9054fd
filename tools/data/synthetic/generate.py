# Copyright (c) mmstvg contributors.
"""Generate the synthetic STVG benchmark (HC-STVG v2 layout) used by the CPU demo and tests.

Example (the benchmark's set: 1,000 train + 200 val + 1,000 test queries, 64 frames of
128x128 at 16 fps; the configs validate on val, the benchmark tables score test)::

    python tools/data/synthetic/generate.py --out-dir data/synth_stvg --num-train 1000 \\
        --num-val 200 --num-test 1000 --num-frames 64 --size 128 --fps 16 --seed 0 --workers 2

Re-running with the same parameters is a no-op (``meta.json`` records them and is written
last); ``--force`` regenerates. Scene options of
``mmstvg.datasets.synthetic.scene.sample_scene`` go through ``--scene-cfg``, e.g.
``--scene-cfg num_actors="(3,4)" target_extra_prob=0.5``.
See ``mmstvg/datasets/synthetic/generator.py`` for the output layout and record fields.
"""
import argparse
import os
import os.path as osp
import re

from mmengine.config import DictAction

from mmstvg.datasets.synthetic import ANN_FILES, QUERY_FILE, generate_synthetic_stvg
from mmstvg.utils.json_io import JSONFileError, load_json
from mmstvg.utils.path_guard import OverwriteInputError

_SYNTHETIC_NAME = re.compile(r'^(train|val|test)_\d{5}\.mp4$')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Generate the synthetic spatio-temporal video grounding benchmark')
    parser.add_argument('--out-dir', default='data/synth_stvg', help='output directory')
    parser.add_argument('--num-train', type=int, default=1000, help='train queries (videos)')
    parser.add_argument('--num-val', type=int, default=200, help='val queries (videos)')
    parser.add_argument(
        '--num-test',
        type=int,
        default=0,
        help='test queries: anno_v2/query_v2.json (no GT, as HC-STVG v2) '
        'and anno_v2/test_v2.json (with GT)')
    parser.add_argument('--num-frames', type=int, default=64, help='frames per video')
    parser.add_argument('--size', type=int, default=128, help='frame side in pixels (even)')
    parser.add_argument('--fps', type=float, default=16, help='frame rate of the videos')
    parser.add_argument('--seed', type=int, default=0, help='global seed')
    parser.add_argument('--workers', type=int, default=2, help='worker processes')
    parser.add_argument('--crf', type=int, default=18, help='x264 quality (lower = better)')
    parser.add_argument(
        '--scene-cfg',
        nargs='+',
        action=DictAction,
        default={},
        help='keyword arguments of sample_scene, key=value')
    parser.add_argument(
        '--force',
        action='store_true',
        help='regenerate even if a complete generation with the same '
        'parameters exists')
    return parser.parse_args(argv)


def check_out_dir(out_dir: str) -> None:
    """Refuse an ``--out-dir`` that holds another dataset's annotations (HC-STVG v2 uses the
    same file names): only files a previous generation wrote (keys ``<split>_NNNNN.mp4``)
    may be overwritten."""
    for rel in (*ANN_FILES.values(), QUERY_FILE):
        path = osp.join(out_dir, rel)
        if not osp.isfile(path):
            continue
        try:  # an unreadable file (invalid, too deeply nested ...) is refused too
            keys = list(load_json(path))
        except (OSError, JSONFileError, TypeError):
            keys = ['<unreadable>']
        foreign = [k for k in keys if not _SYNTHETIC_NAME.match(str(k))]
        if foreign:
            raise OverwriteInputError(
                f'--out-dir {out_dir!r} holds {path} with records this generator did not '
                f'write (e.g. {foreign[0]!r}): refusing to overwrite another dataset; '
                'choose an empty or a synthetic --out-dir')


def main(argv=None) -> dict:
    """Run the generator; returns its summary (``meta.json`` content + ``skipped``)."""
    args = parse_args(argv)
    if osp.isdir(args.out_dir) and os.listdir(args.out_dir):
        check_out_dir(args.out_dir)
    scene_cfg = {k: tuple(v) if isinstance(v, list) else v for k, v in args.scene_cfg.items()}
    return generate_synthetic_stvg(
        out_dir=args.out_dir,
        num_train=args.num_train,
        num_val=args.num_val,
        num_test=args.num_test,
        num_frames=args.num_frames,
        size=args.size,
        fps=args.fps,
        seed=args.seed,
        workers=args.workers,
        crf=args.crf,
        scene_cfg=scene_cfg or None,
        force=args.force)


if __name__ == '__main__':
    main()
