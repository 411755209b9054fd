# Copyright (c) mmstvg contributors. Flags follow mmdetection's tools/misc/print_config.py.
"""Print the whole config: its ``_base_`` files merged, ``--data-root`` /
``--pretrained-root`` and ``--cfg-options`` applied (checked as tools/train.py checks them).

    python tools/misc/print_config.py CONFIG [--data-root DIR] [--pretrained-root DIR] \
        [--cfg-options k=v ...] [--save-path FILE.{py,json,yml}]
"""
import argparse
import os
import os.path as osp

from mmengine.config import DictAction

from mmstvg.utils import load_config
from mmstvg.utils.data_root import add_root_arguments
from mmstvg.utils.path_guard import check_outputs_not_inputs

SUFFIXES = ('.py', '.json', '.yml', '.yaml')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Print the whole config')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--save-path', default=None, help='also write the whole config here (.py, .json, .yml)')
    add_root_arguments(parser)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value pairs (xxx=yyy)')
    args = parser.parse_args(argv)
    if args.save_path is not None and not args.save_path.endswith(SUFFIXES):
        parser.error(f'--save-path {args.save_path!r} must end with one of {SUFFIXES}')
    return args


def main(argv=None):
    args = parse_args(argv)
    check_outputs_not_inputs({'--save-path': args.save_path}, {'config': args.config})
    cfg = load_config(args.config, args.cfg_options, args.data_root, args.pretrained_root)
    print(f'Config:\n{cfg.pretty_text}')
    if args.save_path is not None:
        folder = osp.dirname(osp.abspath(args.save_path))
        os.makedirs(folder, exist_ok=True)
        cfg.dump(args.save_path)
        print(f'Config saved at {args.save_path}')
    return cfg


if __name__ == '__main__':
    main()
