# Copyright (c) mmstvg contributors. Flags follow mmaction2 / mmdetection's tools/test.py.
import argparse
import os
import os.path as osp

from mmengine.config import ConfigDict, DictAction
from mmengine.runner import Runner

from mmstvg.engine import safe_checkpoint_loading
from mmstvg.utils import load_config, register_all_modules, validate_cfg_options, validate_config
from mmstvg.utils.checkpoint_safety import explain_unsafe_checkpoint
from mmstvg.utils.data_root import add_root_arguments
from mmstvg.utils.dist import setup_cpu_distributed
from mmstvg.utils.path_guard import check_outputs_not_inputs, config_input_files
from mmstvg.utils.vis_backends import add_vis_backend_arguments, add_vis_backends


def parse_args():
    parser = argparse.ArgumentParser(description='Test (and evaluate) a video grounder')
    parser.add_argument('config', help='test config file path')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        default=None,
        help='checkpoint file; may be omitted for parameter-free predictors '
        '(e.g. TrivialGrounder) and for models whose config names their weights (e.g. '
        'MLLMGrounder with `pretrained`, zero-shot)')
    parser.add_argument('--work-dir', help='the dir to save logs and results')
    parser.add_argument(
        '--dump', type=str, help='dump the raw predictions (data samples) to a pickle file')
    parser.add_argument(
        '--submit',
        type=str,
        metavar='FILE',
        help='write a submission file in the HC-STVG challenge format (FILE.json, what the '
        'leaderboard takes) or the same entries in the compact form (FILE.npz, which '
        'eval_submission.py reads many times faster); on a split without ground truth only '
        'the file is written')
    parser.add_argument('--show', action='store_true', help='show the predicted tubes')
    parser.add_argument(
        '--show-dir',
        help='directory (under the work dir / timestamp) where videos with '
        'the predicted and GT tubes drawn are written')
    parser.add_argument('--wait-time', type=float, default=2, help='show interval (s)')
    parser.add_argument(
        '--allow-partial-load',
        action='store_true',
        help='evaluate even if the checkpoint does not cover the whole model '
        '(missing, unexpected or mis-shaped weights are then only logged)')
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


def _as_list(evaluator):
    return list(evaluator) if isinstance(evaluator, (list, tuple)) else [evaluator]


def merge_args(cfg, args):
    """Merge command-line arguments into the config (as mmaction2's tools/test.py)."""
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])

    if args.show or args.show_dir:
        hooks = cfg.default_hooks
        if 'visualization' not in hooks:
            raise RuntimeError('`--show`/`--show-dir` need default_hooks.visualization '
                               '(STVGVisualizationHook) in the config')
        hooks.visualization.draw = True
        if args.show:
            hooks.visualization.show = True
            hooks.visualization.wait_time = args.wait_time
        if args.show_dir:
            hooks.visualization.test_out_dir = args.show_dir

    if args.submit:
        evaluators = _as_list(cfg.test_evaluator)
        stvg = [e for e in evaluators if e.get('type') in ('STVGMetric', 'mmstvg.STVGMetric')]
        if not stvg:
            raise RuntimeError('`--submit` needs an STVGMetric in test_evaluator')
        for e in stvg:
            # A split without ground truth sets `format_only=True` in its config.
            e['submission_file'] = osp.abspath(args.submit)
        cfg.test_evaluator = evaluators if len(evaluators) > 1 else evaluators[0]

    if args.dump is not None:
        assert args.dump.endswith(('.pkl', '.pickle')), 'the dump file must be a pkl file'
        cfg.test_evaluator = _as_list(
            cfg.test_evaluator) + [ConfigDict(type='DumpResults', out_file_path=args.dump)]

    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.checkpoint is not None and '://' not in args.checkpoint and \
            not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint} does not exist')
    cfg.load_from = args.checkpoint
    check_outputs_not_inputs({
        '--submit': args.submit,
        '--dump': args.dump
    }, config_input_files(cfg, args.config, args.checkpoint))
    if args.allow_partial_load:
        cfg.allow_partial_load = True
    return cfg


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = load_config(args.config, data_root=args.data_root, pretrained_root=args.pretrained_root)
    add_vis_backends(cfg, args.vis_backends)
    validate_cfg_options(cfg, args.cfg_options)
    cfg = validate_config(merge_args(cfg, args))
    setup_cpu_distributed(cfg, args.launcher)
    # checkpoints read through mmengine: errors name the file (safe_checkpoint_loading)
    with safe_checkpoint_loading(), explain_unsafe_checkpoint(cfg.load_from):
        if 'runner_type' not in cfg:
            runner = Runner.from_cfg(cfg)
        else:
            from mmstvg.registry import RUNNERS
            runner = RUNNERS.build(cfg)
        runner.test()


if __name__ == '__main__':
    main()
