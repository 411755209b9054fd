# Copyright (c) mmstvg contributors. Flags follow mmaction2 / mmdetection's tools/train.py.
import argparse
import os
import os.path as osp

import torch
from mmengine.config import DictAction
from mmengine.runner import Runner

from mmstvg.engine import find_resumable_checkpoint, lock_work_dir, safe_checkpoint_loading
from mmstvg.utils import load_config, register_all_modules, validate_cfg_options, validate_config
from mmstvg.utils.checkpoint_safety import explain_unsafe_checkpoint
from mmstvg.utils.data_root import add_root_arguments
from mmstvg.utils.dist import setup_cpu_distributed
from mmstvg.utils.vis_backends import add_vis_backend_arguments, add_vis_backends


def parse_args():
    parser = argparse.ArgumentParser(description='Train a spatio-temporal video grounder')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or from the latest checkpoint in the work '
        'dir when no path is given')
    parser.add_argument(
        '--amp', action='store_true', help='mixed precision (fp16 on CUDA, bf16 autocast on CPU)')
    parser.add_argument(
        '--amp-dtype',
        choices=['float16', 'bfloat16'],
        help='with --amp: autocast dtype (default float16 on CUDA with '
        'dynamic loss scaling, bfloat16 on CPU)')
    parser.add_argument(
        '--no-validate', action='store_true', help='do not evaluate checkpoints during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the lr by the actual batch size (auto_scale_lr in cfg)')
    parser.add_argument('--seed', type=int, default=None, help='random seed')
    parser.add_argument(
        '--diff-rank-seed',
        action='store_true',
        help='whether to give different seeds to different ranks')
    parser.add_argument(
        '--deterministic', action='store_true', help='set deterministic options for CUDNN / torch')
    add_root_arguments(parser)
    add_vis_backend_arguments(parser)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value pairs (xxx=yyy)')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg, args):
    """Merge command-line arguments into the config (as mmaction2's tools/train.py)."""
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    cfg.launcher = args.launcher

    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])

    if args.amp:
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        assert wrapper in ('OptimWrapper', 'AmpOptimWrapper', 'CPUAmpOptimWrapper'), \
            f'`--amp` is not supported with optim_wrapper type {wrapper}'
        if torch.cuda.is_available():
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
        else:
            cfg.optim_wrapper.type = 'CPUAmpOptimWrapper'
            cfg.optim_wrapper.setdefault('dtype', 'bfloat16')
        if args.amp_dtype:
            cfg.optim_wrapper.dtype = args.amp_dtype

    if args.resume == 'auto':
        # the newest checkpoint of the work dir that loads (a truncated one is skipped)
        cfg.load_from = find_resumable_checkpoint(cfg.work_dir)
        cfg.resume = cfg.load_from is not None
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise FileNotFoundError(f'--resume: checkpoint {args.resume} does not exist')
        cfg.resume = True
        cfg.load_from = args.resume

    if args.auto_scale_lr:
        if 'auto_scale_lr' in cfg and 'enable' in cfg.auto_scale_lr and \
                'base_batch_size' in cfg.auto_scale_lr:
            cfg.auto_scale_lr.enable = True
        else:
            raise RuntimeError('Can not find "auto_scale_lr", "auto_scale_lr.enable" or '
                               '"auto_scale_lr.base_batch_size" in your configuration file.')

    if args.seed is not None or args.deterministic or args.diff_rank_seed:
        randomness = dict(cfg.get('randomness', {}))
        if args.seed is not None:
            randomness['seed'] = args.seed
        randomness['deterministic'] = args.deterministic or randomness.get('deterministic', False)
        randomness['diff_rank_seed'] = args.diff_rank_seed or randomness.get(
            'diff_rank_seed', False)
        cfg.randomness = randomness

    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = load_config(args.config, data_root=args.data_root, pretrained_root=args.pretrained_root)
    add_vis_backends(cfg, args.vis_backends)
    validate_cfg_options(cfg, args.cfg_options)
    cfg = validate_config(merge_args(cfg, args))
    # one training per work dir (rank 0 holds the lock until the end; see lock_work_dir)
    # checkpoints read through mmengine: errors name the file (safe_checkpoint_loading)
    with lock_work_dir(cfg.work_dir), safe_checkpoint_loading(), \
            explain_unsafe_checkpoint(cfg.load_from):
        setup_cpu_distributed(cfg, args.launcher)
        if 'runner_type' not in cfg:
            runner = Runner.from_cfg(cfg)
        else:
            from mmstvg.registry import RUNNERS
            runner = RUNNERS.build(cfg)
        runner.train()


if __name__ == '__main__':
    main()
