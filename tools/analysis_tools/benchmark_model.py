"""Benchmark a whole grounder: training-iteration time, inference time per video and peak
memory, for each attention kernel (``attn_impl``), with AMP.

The model is built from its config with random weights (no checkpoint or pretrained files are
read: ``init_cfg`` entries are dropped and a ``pretrained`` text encoder is replaced by a
randomly initialised one of the same architecture), fed random frames and sentences at the
config's sizes.

    # STVGFormer at the paper's settings (T = 48 train / 96 test, bf16 AMP, precomputed
    # 7x7x2304 SlowFast clip features), on a GPU
    python tools/analysis_tools/benchmark_model.py \
        configs/stvgformer/stvgformer_r101-mdetr-pre-slowfast_8xb1-t48-10e_hcstvg-v2.py \
        --feature-shape 7 7 2304 --device cuda --amp bf16 --impls naive sdpa fused \
        --out work_dirs/bench_model.json
    # CPU smoke run of the synthetic model
    python tools/analysis_tools/benchmark_model.py \
        configs/stvgformer/stvgformer_r18-c16-slowfast-tiny_1xb8-t32-8e_synth.py \
        --device cpu --amp none --impls naive sdpa --train-frames 8 --test-frames 16 \
        --img-size 64 64 --test-img-size 64 112 --batch-size 1 --iters 2 --warmup 1

The optimiser step is timed for each of ``--optim-impls`` (the config's Adam / AdamW, its
lr): ``per-tensor`` (PyTorch's loop over the parameter tensors, its CPU default), ``foreach``,
``fused``, and ``auto``, what mmstvg's ``FastOptimWrapperConstructor`` (the configs'
constructor) builds on this device; the training steps of the optimisers are interleaved, so
their ratio is measured under the same load::

    python tools/analysis_tools/benchmark_model.py \
        configs/stvgformer/stvgformer_r18-c16-slowfast-tiny_1xb8-t32-8e_synth.py --device cpu \
        --amp none --impls sdpa --optim-impls per-tensor auto --batch-size 8 \
        --train-frames 32 --img-size 96 96 --test-frames 32 --test-img-size 96 96 \
        --text-len 12 --iters 5 --warmup 1

Timing: median over ``--iters`` after ``--warmup`` (CUDA-synchronised on GPU), in wall time
or, with ``--clock cpu`` (CPU only), in the process's CPU time, which the other jobs of a
shared machine affect far less.
``parse_args`` / ``build_model`` / ``run`` / ``print_table`` are the library interface
(``.dev_scripts/gpu_check``).
"""
import argparse
import copy
import statistics
import time

import mmengine
import torch
from mmengine.config import DictAction

from mmstvg.engine.optimizers import FastOptimWrapperConstructor, multi_tensor_choice
from mmstvg.registry import MODELS
from mmstvg.testing import demo_grounding_inputs, strip_pretrained
from mmstvg.utils import load_config, register_all_modules
from mmstvg.utils.data_root import add_root_arguments
from mmstvg.utils.path_guard import check_outputs_not_inputs

AMP = dict(none=None, bf16=torch.bfloat16, fp16=torch.float16)


def sync(device):
    if device.startswith('cuda'):
        torch.cuda.synchronize()


#: ``--clock``: wall time (the default; CUDA-synchronised on GPU) or the process's CPU time
#: (user + system of every thread: on a shared CPU machine, far less affected by the other
#: jobs than wall time)
CLOCKS = dict(wall=time.perf_counter, cpu=time.process_time)


def median_s(fn, warmup, iters, device, clock=time.perf_counter):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(iters):
        sync(device)
        t0 = clock()
        fn()
        sync(device)
        times.append(clock() - t0)
    return statistics.median(times)


def interleaved_times_s(fns: dict,
                        warmup: int,
                        iters: int,
                        device: str,
                        clock=time.perf_counter) -> dict:
    """``{name: [seconds per call]}`` of several functions run in turn, one call each per
    round (the load of a shared machine falls on all of them alike)."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times = {name: [] for name in fns}
    for _ in range(iters):
        for name, fn in fns.items():
            sync(device)
            t0 = clock()
            fn()
            sync(device)
            times[name].append(clock() - t0)
    return times


#: ``--optim-impls``: how the config's Adam / AdamW runs its step
OPTIM_IMPLS = ('per-tensor', 'foreach', 'fused', 'auto')


def build_optimizer(model, impl: str, args) -> torch.optim.Optimizer:
    """The config's optimiser (its type and lr; AdamW lr 1e-5 without a config) over the
    trainable parameters, run as ``impl`` (:data:`OPTIM_IMPLS`; ``auto``: what
    ``FastOptimWrapperConstructor`` builds)."""
    cfg = getattr(args, 'optimizer_cfg', None) or dict(type='AdamW', lr=1e-5)
    if impl == 'auto':
        return FastOptimWrapperConstructor(dict(type='OptimWrapper',
                                                optimizer=cfg))(model).optimizer
    params = [p for p in model.parameters() if p.requires_grad]
    kwargs = {k: v for k, v in cfg.items() if k != 'type'}
    kwargs.update({
        'per-tensor': dict(foreach=False),
        'foreach': dict(foreach=True),
        'fused': dict(fused=True)
    }[impl])
    return getattr(torch.optim, cfg['type'])(params, **kwargs)


def to_device(data, device):
    if isinstance(data, torch.Tensor):
        return data.to(device)
    if isinstance(data, dict):
        return {k: to_device(v, device) for k, v in data.items()}
    if isinstance(data, list):
        return [x.to(device) if hasattr(x, 'to') else x for x in data]
    return data


def benchmark(model, impl, args):
    if hasattr(model, 'attn_impl') or any(hasattr(m, 'attn_impl') for m in model.modules()):
        from mmstvg.models.layers import set_attn_impl
        set_attn_impl(model, impl)
    device, amp = args.device, AMP[args.amp]
    clock = CLOCKS[getattr(args, 'clock', 'wall')]
    vocab = getattr(getattr(model, 'text_encoder', None), 'model', None)
    vocab = vocab.config.vocab_size if vocab is not None else 64
    feats = args.feature_shape

    def batch(frames, size, seed, passes=1):
        inputs, samples = demo_grounding_inputs(
            args.batch_size,
            frames * passes,
            tuple(size),
            text_len=args.text_len,
            vocab_size=min(vocab, 1000),
            seed=seed)
        for s in samples:  # P interleaved passes of T frames (SampleSTVGFrames(multi_pass))
            s.set_metainfo(dict(num_passes=passes))
        if feats is not None:
            inputs['features'] = torch.randn(args.batch_size, frames * passes, *feats)
        return to_device(inputs, device), to_device(samples, device)

    def autocast():
        return torch.autocast(device.split(':')[0], dtype=amp, enabled=amp is not None)

    result = dict(impl=impl)
    model.train()
    optim_impls = getattr(args, 'optim_impls', None) or ['per-tensor']
    state = dict(optims={o: build_optimizer(model, o, args) for o in optim_impls})
    result['optimizers'] = {
        o: f'{type(opt).__name__}({multi_tensor_choice(opt) or "per-tensor"})'
        for o, opt in state['optims'].items()
    }
    train_inputs, train_samples = batch(args.train_frames, args.img_size, 0)

    step_times = {o: [] for o in optim_impls}  # the optimiser's step alone, per call

    def train_step(name):
        optim = state['optims'][name]
        with autocast():
            losses = model(train_inputs, train_samples, mode='loss')
            loss = sum(v for k, v in losses.items() if 'loss' in k)
        optim.zero_grad(set_to_none=True)
        loss.backward()
        sync(device)
        t0 = clock()
        optim.step()
        sync(device)
        step_times[name].append(clock() - t0)

    if device.startswith('cuda'):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    times = interleaved_times_s({o: (lambda o=o: train_step(o))
                                 for o in optim_impls}, args.warmup, args.iters, device, clock)
    result['optim_step_runs_s'] = {o: t[args.warmup:] for o, t in step_times.items()}
    result['train_by_optim_runs_s'] = times
    result['train_by_optim_s'] = {o: statistics.median(t) for o, t in times.items()}
    result['train_iter_s'] = result['train_by_optim_s'][optim_impls[-1]]
    if device.startswith('cuda'):
        result['train_peak_mib'] = torch.cuda.max_memory_allocated() / 2**20
    state.clear()  # free the optimiser state and gradients before measuring inference
    model.zero_grad(set_to_none=True)
    model.eval()
    test_inputs, test_samples = batch(args.test_frames, args.test_img_size, 1,
                                      getattr(args, 'test_passes', 1))

    def infer():
        with torch.no_grad(), autocast():
            model(test_inputs, test_samples, mode='predict')

    if device.startswith('cuda'):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    result['infer_video_s'] = median_s(infer, args.warmup, args.iters, device,
                                       clock) / args.batch_size
    if device.startswith('cuda'):
        result['infer_peak_mib'] = torch.cuda.max_memory_allocated() / 2**20
    return result


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--amp', choices=list(AMP), default='bf16')
    parser.add_argument('--impls', nargs='+', default=['naive', 'sdpa', 'fused'])
    parser.add_argument('--batch-size', type=int, default=1, help='videos per GPU')
    parser.add_argument('--train-frames', type=int, default=48)
    parser.add_argument('--test-frames', type=int, default=96)
    parser.add_argument(
        '--test-passes',
        type=int,
        default=1,
        help='inference passes of --test-frames frames per video (multi-pass '
        'test: a 600-frame HC-STVG video at 96 frames per pass takes 7)')
    parser.add_argument(
        '--img-size',
        type=int,
        nargs=2,
        default=[224, 398],
        help='training frame size H W (short side 224 of a 16:9 video: the '
        'configs keep the aspect ratio in training as at test time)')
    parser.add_argument(
        '--test-img-size',
        type=int,
        nargs=2,
        default=[224, 398],
        help='test frame size H W (short side 224 of a 16:9 video)')
    parser.add_argument('--text-len', type=int, default=32)
    parser.add_argument(
        '--feature-shape',
        type=int,
        nargs=3,
        metavar=('H', 'W', 'C'),
        help='precomputed clip features per frame, for models without a '
        'video backbone')
    parser.add_argument(
        '--optim-impls',
        nargs='+',
        choices=OPTIM_IMPLS,
        default=['auto'],
        help="how the config's Adam / AdamW steps, timed in turn (the last one is "
        'train_iter_s): per-tensor (PyTorch\'s CPU default), foreach, fused, auto (mmstvg\'s '
        'FastOptimWrapperConstructor)')
    parser.add_argument(
        '--clock',
        choices=list(CLOCKS),
        default='wall',
        help='what a step is timed by: wall time, or the process\'s CPU time (CPU only: '
        'on a shared machine far less affected by the other jobs)')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument('--out', help='write the numbers to this JSON file')
    add_root_arguments(parser)
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override config settings (key=value)')
    args = parser.parse_args(argv)
    if args.clock == 'cpu' and not args.device.startswith('cpu'):
        parser.error('--clock cpu times the host process: use it with --device cpu')
    return args


def build_model(args: argparse.Namespace) -> torch.nn.Module:
    """The config's model with random weights (see :func:`strip_pretrained`) on
    ``args.device``."""
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options, args.data_root, args.pretrained_root)
    check_outputs_not_inputs({'--out': args.out}, {'config': args.config})
    model_cfg = strip_pretrained(copy.deepcopy(cfg.model.to_dict()))
    optimizer = cfg.get('optim_wrapper', {}).get('optimizer')
    if optimizer is not None and optimizer.get('type') in ('Adam', 'AdamW'):
        args.optimizer_cfg = dict(type=optimizer['type'], lr=optimizer.get('lr', 1e-5))
    torch.manual_seed(0)
    return MODELS.build(model_cfg).to(args.device)


def run(args: argparse.Namespace, on_row=None, model=None) -> dict:
    """Benchmark ``model`` (built from ``args.config`` if None) for each of ``args.impls``;
    ``on_row(row, report)`` is called after each. Returns the report (as saved by ``--out``)."""
    model = build_model(args) if model is None else model
    params = sum(p.numel() for p in model.parameters())
    name = torch.cuda.get_device_name() if args.device.startswith('cuda') else 'cpu'
    report = dict(
        device=name,
        config=args.config,
        amp=args.amp,
        params=params,
        torch=torch.__version__,
        settings={
            k: v
            for k, v in vars(args).items() if k not in ('out', 'cfg_options')
        },
        results=[])
    for impl in args.impls:
        row = benchmark(model, impl, args)
        report['results'].append(row)
        if on_row is not None:
            on_row(row, report)
    return report


def print_table(report: dict) -> None:
    """The report as a table, ratios against the first impl."""
    st, rows = report['settings'], report['results']
    print(f'device: {report["device"]}  amp: {report["amp"]}  params: '
          f'{report["params"] / 1e6:.1f} M  train: B={st["batch_size"]} '
          f'T={st["train_frames"]} {st["img_size"]}  test: T={st["test_frames"]} x '
          f'{st.get("test_passes", 1)} passes {st["test_img_size"]}  clock: '
          f'{st.get("clock", "wall")}')
    base = rows[0]
    print(f'{"attn_impl":10s} {"train s/iter":>12s} {"x":>6s} {"train MiB":>10s} '
          f'{"infer s/video":>13s} {"x":>6s} {"infer MiB":>10s}')
    for r in rows:
        print(f'{r["impl"]:10s} {r["train_iter_s"]:12.4f} '
              f'{base["train_iter_s"] / r["train_iter_s"]:6.2f} '
              f'{r.get("train_peak_mib", float("nan")):10.0f} {r["infer_video_s"]:13.4f} '
              f'{base["infer_video_s"] / r["infer_video_s"]:6.2f} '
              f'{r.get("infer_peak_mib", float("nan")):10.0f}')
    by_optim = [r for r in rows if len(r.get('train_by_optim_s', {})) > 1]
    for r in by_optim:
        runs = r['train_by_optim_runs_s']
        first = next(iter(runs))
        ratios = {o: [a / b for a, b in zip(runs[first], t)] for o, t in runs.items()}
        print(f'{r["impl"]}: train s/iter by optimiser step, median (min-max) of the '
              f'interleaved steps; speed-up over {first} step by step: ' +
              ', '.join(f'{o} [{r["optimizers"][o]}] {statistics.median(t):.4f} '
                        f'({min(t):.4f}-{max(t):.4f}) {statistics.median(ratios[o]):.3f}x '
                        f'({min(ratios[o]):.3f}-{max(ratios[o]):.3f})' for o, t in runs.items()))
        steps = r.get('optim_step_runs_s')
        if steps:
            ratios = {o: [a / b for a, b in zip(steps[first], t)] for o, t in steps.items()}
            print(f'{r["impl"]}: the optimiser step alone, s, median (min-max); speed-up over '
                  f'{first}: ' +
                  ', '.join(f'{o} {statistics.median(t):.4f} ({min(t):.4f}-{max(t):.4f}) '
                            f'{statistics.median(ratios[o]):.2f}x '
                            f'({min(ratios[o]):.2f}-{max(ratios[o]):.2f})'
                            for o, t in steps.items()))


def main(argv=None):
    args = parse_args(argv)
    report = run(args)
    if args.out:
        mmengine.dump(report, args.out, indent=2)
    print_table(report)
    return report


if __name__ == '__main__':
    main()
