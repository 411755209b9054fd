# Copyright (c) mmstvg contributors.
"""Convert a released checkpoint of the STCAT family to mmstvg names (one tool for the
family: ``--method stcat`` for jy0205/STCAT; the forks CG-STVG / TA-STVG add theirs).

Example (configs/stcat/README.md)::

    python tools/model_converters/stcat2mmstvg.py --method stcat \\
        checkpoints/hcstvg_res448.pth checkpoints/stcat_r101_res448_hcstvg-v1_mmstvg.pth \\
        --config configs/stcat/stcat_r101-mdetr-pre_8xb1-res448-90e_hcstvg-v1.py

The released files hold ``model``, ``model_ema`` (the averaged weights the released
evaluation loads, taken by default), ``optimizer`` and the iteration. Every key of the
selected state dict is mapped by an explicit rule or dropped on purpose with a reason (the
tables are in ``mmstvg/models/utils/stcat_converter.py``); a checkpoint of another model
(TubeDETR, CG-STVG given as STCAT, ...), a key without a rule, a missing group or an
incomplete layer stops the conversion with a message naming them. With ``--config`` the result
is also checked to cover the config's model exactly (every key, every shape).

The file is read with ``torch.load(weights_only=True)``; if that is refused, ``--unsafe-load``
reads it with ``weights_only=False``, which can run code stored in the file: only for files
from a source you trust.
"""
import argparse
import os.path as osp
import pickle
import sys

import torch
from mmengine.utils import mkdir_or_exist

from mmstvg.models.utils.stcat_converter import KEY_MAPS, STCATConversionError, convert_stcat
from mmstvg.utils.checkpoint_safety import describe_load_error, is_refusal
from mmstvg.utils.path_guard import check_outputs_not_inputs


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert an STCAT-family checkpoint to mmstvg names')
    parser.add_argument('src', help='released checkpoint (.pth)')
    parser.add_argument('dst', help='output path (.pth)')
    parser.add_argument(
        '--method', choices=list(KEY_MAPS), default='stcat', help='the model of the checkpoint')
    parser.add_argument(
        '--weights',
        choices=('auto', 'model', 'model_ema'),
        default='auto',
        help='state dict to convert: `model_ema` (what the released evaluation loads), '
        '`model`, or `auto` = model_ema when present')
    parser.add_argument(
        '--config', help='an mmstvg config: check that the result covers its model exactly')
    parser.add_argument(
        '--unsafe-load',
        action='store_true',
        help='if the weights-only load is refused, load with weights_only=False. This can '
        'execute arbitrary code from the file: only for checkpoints you trust')
    return parser.parse_args(argv)


def load_checkpoint(src: str, unsafe_load: bool = False):
    """Load ``src`` on CPU, weights-only unless that is refused and ``unsafe_load`` is set."""
    if not osp.isfile(src):
        raise SystemExit(f'checkpoint {src} does not exist')
    try:
        return torch.load(src, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as err:
        if not is_refusal(err):
            raise SystemExit(f'cannot read {src}: {describe_load_error(err)}')
        if not unsafe_load:
            raise SystemExit(
                f'refused to load {src} with torch.load(weights_only=True): '
                f'{describe_load_error(err)}. If you trust the file, re-run with --unsafe-load '
                '(weights_only=False, which can execute code stored in the file).')
    except Exception as err:  # noqa: BLE001  (an unreadable file: say which and why)
        raise SystemExit(f'cannot read {src}: {describe_load_error(err)}')
    print(
        f'WARNING: loading {src} with weights_only=False (--unsafe-load): only do this for '
        'a checkpoint from a trusted source.',
        file=sys.stderr)
    return torch.load(src, map_location='cpu', weights_only=False)


def check_against_config(config: str, state_dict: dict) -> None:
    """Build ``config``'s model (random weights, nothing downloaded) and check that
    ``state_dict`` covers it exactly."""
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
    if missing:
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
        result = convert_stcat(checkpoint, method=args.method, weights=args.weights)
    except STCATConversionError as err:
        raise SystemExit(f'Cannot convert {args.src} (--method {args.method}): {err}')
    state_dict = result['state_dict']
    if args.config:
        check_against_config(args.config, state_dict)
    meta = dict(
        converter='tools/model_converters/stcat2mmstvg.py',
        method=args.method,
        source=osp.basename(args.src),
        source_weights=result['source_weights'],
        dropped_keys=dict(result['dropped']),
        added_keys=result['added'])
    if isinstance(checkpoint, dict) and isinstance(checkpoint.get('iteration'), int):
        meta['source_iteration'] = checkpoint['iteration']
    mkdir_or_exist(osp.dirname(osp.abspath(args.dst)))
    torch.save(dict(state_dict=state_dict, meta=meta), args.dst)
    print(f'converted {len(state_dict)} keys from `{result["source_weights"]}`, dropped '
          f'{len(result["dropped"])}, added {len(result["added"])} -> {args.dst}')
    reasons = {}
    for key, reason in result['dropped'].items():
        reasons.setdefault(reason, []).append(key)
    for reason, keys in reasons.items():
        print(f'dropped ({reason}): {len(keys)} key(s), e.g. {keys[0]}')


if __name__ == '__main__':
    main()
