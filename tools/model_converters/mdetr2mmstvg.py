# Copyright (c) mmstvg contributors.
"""Convert a pre-trained MDETR checkpoint for STVGFormer's static branch (paper §2.1).

Example::

    python tools/model_converters/mdetr2mmstvg.py \\
        pretrained_resnet101_checkpoint.pth data/pretrained/mdetr_r101_roberta_mmstvg.pth

The output holds ``{'state_dict': ..., 'meta': ...}`` with mmstvg key names (mapping table in
``mmstvg/models/utils/mdetr_converter.py``), for
``init_cfg=dict(type='Pretrained', checkpoint='data/pretrained/mdetr_r101_roberta_mmstvg.pth')``
on the STVGFormer model. It loads with ``torch.load(..., weights_only=True)``.

MDETR checkpoints also pickle the training ``args`` (an ``argparse.Namespace``), which
``weights_only=True`` refuses. The file is first read with ``weights_only=True``; only if
that fails *and* ``--unsafe-load`` is given is it read with ``weights_only=False``, which can
run arbitrary code from the file: use it only on a checkpoint from a source you trust.
"""
import argparse
import os.path as osp
import pickle
import sys

import torch
from mmengine.utils import mkdir_or_exist

from mmstvg.models.utils import convert_mdetr
from mmstvg.utils.path_guard import check_outputs_not_inputs


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert an MDETR checkpoint to mmstvg (STVGFormer static branch) names')
    parser.add_argument('src', help='MDETR checkpoint, e.g. pretrained_resnet101_checkpoint.pth')
    parser.add_argument(
        'dst', help='output path, e.g. '
        'data/pretrained/mdetr_r101_roberta_mmstvg.pth')
    parser.add_argument(
        '--num-queries-keep',
        type=int,
        default=1,
        help='rows of MDETR\'s query_embed kept (STVGFormer: 1 query per frame)')
    parser.add_argument(
        '--use-ema',
        action='store_true',
        help='convert the checkpoint\'s `model_ema` weights instead of `model`')
    parser.add_argument(
        '--unsafe-load',
        action='store_true',
        help='if loading with weights_only=True fails (MDETR checkpoints pickle '
        'an argparse.Namespace), load with weights_only=False. This can execute '
        'arbitrary code from the file: only for checkpoints you trust')
    return parser.parse_args(argv)


def load_checkpoint(src: str, unsafe_load: bool):
    """Load ``src`` on CPU, weights-only unless that fails and ``unsafe_load`` is set."""
    try:
        return torch.load(src, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as err:
        lines = [ln.strip() for ln in str(err).splitlines()]
        reason = next((ln for ln in lines if ln.startswith('WeightsUnpickler error')),
                      lines[0] if lines else repr(err))
        if not unsafe_load:
            raise SystemExit(
                f'Could not load {src} with torch.load(weights_only=True).\n{reason}\n'
                'MDETR checkpoints also pickle their training `args` (an argparse.Namespace), '
                'which weights-only loading refuses. If you trust the file (e.g. the official '
                'MDETR release you downloaded), re-run with --unsafe-load to load it with '
                'weights_only=False; that can execute arbitrary code stored in the file.')
    print(
        f'WARNING: loading {src} with weights_only=False (--unsafe-load): only do this for '
        'a checkpoint from a trusted source.',
        file=sys.stderr)
    return torch.load(src, map_location='cpu', weights_only=False)


def main(argv=None):
    args = parse_args(argv)
    check_outputs_not_inputs({'dst': args.dst}, {'src': args.src})
    checkpoint = load_checkpoint(args.src, args.unsafe_load)
    try:
        converted, skipped = convert_mdetr(
            checkpoint, num_queries_keep=args.num_queries_keep, use_ema=args.use_ema)
    except (TypeError, ValueError) as err:
        raise SystemExit(f'Cannot convert {args.src}: {err}')
    meta = dict(
        converter='tools/model_converters/mdetr2mmstvg.py',
        source=osp.basename(args.src),
        source_weights='model_ema' if args.use_ema else 'model',
        num_queries_keep=args.num_queries_keep,
        skipped_keys=list(skipped))
    mkdir_or_exist(osp.dirname(args.dst))
    torch.save(dict(state_dict=converted, meta=meta), args.dst)
    print(f'converted {len(converted)} keys, skipped {len(skipped)} MDETR keys '
          f'-> {args.dst}')
    if skipped:
        modules = sorted({k.rsplit('.', 1)[0] for k in skipped})
        print('skipped (unused by STVGFormer): ' + ', '.join(modules))


if __name__ == '__main__':
    main()
