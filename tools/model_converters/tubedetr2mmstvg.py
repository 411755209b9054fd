# Copyright (c) mmstvg contributors.
"""Convert a released TubeDETR checkpoint (antoyang/TubeDETR) to mmstvg's ``TubeDETR``.

Example (configs/tubedetr/README.md)::

    python tools/model_converters/tubedetr2mmstvg.py \\
        checkpoints/tubedetr_vidstg_k4_res352.pth \\
        checkpoints/tubedetr_r101_k4-res352_vidstg_mmstvg.pth \\
        --config configs/tubedetr/tubedetr_r101-mdetr-pre_16xb1-k4-res352-10e_vidstg.py

The released files hold ``model``, ``model_ema`` (the averaged weights TubeDETR evaluates
with, taken by default), ``optimizer``, ``epoch`` and the training ``args``. Every key of the
selected state dict is mapped by an explicit rule or dropped on purpose (the table is in
``mmstvg/models/utils/tubedetr_converter.py``); an unknown key, a missing or incomplete group
stops the conversion with a message listing them. With ``--config`` the result is also
checked to cover the config's model exactly (every key, every shape).

The file is read with ``torch.load(weights_only=True)`` and an allow-list of what the released
files pickle besides tensors: ``argparse.Namespace`` (the ``args``). If that is still refused,
``--unsafe-load`` reads it with ``weights_only=False``, which can run code stored in the file:
only for files from a source you trust.

``--from-mdetr`` converts MDETR's pre-trained ResNet-101 checkpoint instead
(``pretrained_resnet101_checkpoint.pth``, TubeDETR's initialisation); the result is a partial
state dict for ``model.init_cfg = dict(type='Pretrained', checkpoint=...)`` (the fast branch
and the start/end head keep their initialisation, as in TubeDETR's training).
"""
import argparse
import os.path as osp
import pickle
import sys

import torch
from mmengine.utils import mkdir_or_exist

from mmstvg.models.utils import TubeDETRConversionError, convert_tubedetr
from mmstvg.utils.checkpoint_safety import describe_load_error, is_refusal
from mmstvg.utils.path_guard import check_outputs_not_inputs

#: what the released checkpoints pickle besides tensors and containers
SAFE_GLOBALS = (argparse.Namespace, )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert a TubeDETR checkpoint to mmstvg (TubeDETR model) names')
    parser.add_argument('src', help='released TubeDETR checkpoint (.pth)')
    parser.add_argument('dst', help='output path (.pth)')
    parser.add_argument(
        '--weights',
        choices=('auto', 'model', 'model_ema'),
        default='auto',
        help='state dict to convert: `model_ema` (what TubeDETR evaluates with --ema), '
        '`model`, or `auto` = model_ema when present')
    parser.add_argument(
        '--from-mdetr',
        action='store_true',
        help='the source is MDETR\'s pre-trained checkpoint (TubeDETR\'s initialisation)')
    parser.add_argument(
        '--config',
        help='an mmstvg TubeDETR config: check that the result covers its model exactly')
    parser.add_argument(
        '--unsafe-load',
        action='store_true',
        help='if the weights-only load (with its allow-list) is refused, load with '
        'weights_only=False. This can execute arbitrary code from the file: only for '
        'checkpoints you trust')
    return parser.parse_args(argv)


def load_checkpoint(src: str, unsafe_load: bool = False):
    """Load ``src`` on CPU: weights-only with :data:`SAFE_GLOBALS` allowed, unless that is
    refused and ``unsafe_load`` is set."""
    if not osp.isfile(src):
        raise SystemExit(f'checkpoint {src} does not exist')
    try:
        with torch.serialization.safe_globals(list(SAFE_GLOBALS)):
            return torch.load(src, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as err:
        if not is_refusal(err):
            raise SystemExit(f'cannot read {src}: {describe_load_error(err)}')
        if not unsafe_load:
            raise SystemExit(
                f'refused to load {src} with torch.load(weights_only=True): '
                f'{describe_load_error(err)}. The released TubeDETR checkpoints pickle only '
                'an argparse.Namespace besides tensors, which is allowed; this file holds '
                'more. If you trust it, re-run with --unsafe-load (weights_only=False, which '
                'can execute code stored in the file).')
    except Exception as err:  # noqa: BLE001  (an unreadable file: say which and why)
        raise SystemExit(f'cannot read {src}: {describe_load_error(err)}')
    print(
        f'WARNING: loading {src} with weights_only=False (--unsafe-load): only do this for '
        'a checkpoint from a trusted source.',
        file=sys.stderr)
    return torch.load(src, map_location='cpu', weights_only=False)


def check_against_config(config: str, state_dict: dict, partial: bool) -> None:
    """Build ``config``'s model (random weights, nothing downloaded) and check that
    ``state_dict`` covers it exactly (``partial``: only that nothing is unexpected)."""
    from mmengine.config import Config

    from mmstvg.registry import MODELS
    from mmstvg.testing import strip_pretrained
    from mmstvg.utils import register_all_modules
    register_all_modules()
    model_cfg = strip_pretrained(Config.fromfile(config).model.to_dict())
    model_cfg.pop('data_preprocessor', None)
    own = MODELS.build(model_cfg).state_dict()
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    mismatched = [
        f'{k} {tuple(state_dict[k].shape)} vs {tuple(own[k].shape)}' for k in own
        if k in state_dict and tuple(state_dict[k].shape) != tuple(own[k].shape)
    ]
    problems = []
    if missing and not partial:
        problems.append(f'missing in the converted weights: {missing[:20]}')
    if unexpected:
        problems.append(f'not in the model of {config}: {unexpected[:20]}')
    if mismatched:
        problems.append(f'shape mismatches: {mismatched[:20]}')
    if problems:
        raise SystemExit('the converted weights do not fit the config\'s model: ' +
                         '; '.join(problems))


def main(argv=None):
    args = parse_args(argv)
    check_outputs_not_inputs({'dst': args.dst}, {'src': args.src})
    checkpoint = load_checkpoint(args.src, args.unsafe_load)
    try:
        result = convert_tubedetr(checkpoint, weights=args.weights, from_mdetr=args.from_mdetr)
    except TubeDETRConversionError as err:
        raise SystemExit(f'Cannot convert {args.src}: {err}')
    state_dict = result['state_dict']
    if args.config:
        check_against_config(args.config, state_dict, partial=args.from_mdetr)
    meta = dict(
        converter='tools/model_converters/tubedetr2mmstvg.py',
        source=osp.basename(args.src),
        source_weights=result['source_weights'],
        from_mdetr=args.from_mdetr,
        dropped_keys=result['dropped'],
        added_keys=result['added'],
        not_provided=result['not_provided'])
    if isinstance(checkpoint, dict) and isinstance(checkpoint.get('epoch'), int):
        meta['source_epoch'] = checkpoint['epoch']
    mkdir_or_exist(osp.dirname(osp.abspath(args.dst)))
    torch.save(dict(state_dict=state_dict, meta=meta), args.dst)
    print(f'converted {len(state_dict)} keys from `{result["source_weights"]}` '
          f'({result["num_layers"]["encoder"]} encoder, {result["num_layers"]["decoder"]} '
          f'decoder layers), dropped {len(result["dropped"])}, added {len(result["added"])} '
          f'-> {args.dst}')
    if result['dropped']:
        groups = sorted({k.rsplit('.', 1)[0] for k in result['dropped']})
        print('dropped on purpose: ' + ', '.join(groups[:20]) +
              (f', ... ({len(groups) - 20} more)' if len(groups) > 20 else ''))
    if result['not_provided']:
        print('not in the source (keep their initialisation): ' +
              ', '.join(result['not_provided']))


if __name__ == '__main__':
    main()
