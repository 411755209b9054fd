"""Benchmark the attention kernels of STVGFormer at its real shapes: naive vs sdpa vs fused.

For every attention of the model (static encoder/decoder, STCMT temporal/spatial/cross,
the pooled text-to-video cross-attention, SDIB) at the paper's settings, time the kernel
(forward, and forward + backward), its peak memory, and the achieved FLOP rate and bandwidth
against the device's roofline, measured in the same run (a large matmul in the benchmark
precision and a large device-to-device copy).

    # GPU (the figures of docs/benchmarks.md)
    python tools/analysis_tools/benchmark_attention.py --device cuda --dtype bf16 \
        --setting train --out work_dirs/bench_attn_train.json
    # CPU sanity run (naive vs sdpa; 'fused' needs CUDA, or TRITON_INTERPRET=1 which is
    # a correctness tool, far too slow to time)
    python tools/analysis_tools/benchmark_attention.py --device cpu --dtype fp32 \
        --setting tiny --impls naive sdpa

Imports torch and mmstvg.ops only, so it runs on a bare GPU machine with torch + triton.
``parse_args`` / ``run`` / ``print_table`` are the library interface
(``.dev_scripts/gpu_check``).
Timing: median of ``--iters`` runs after ``--warmup`` runs, CUDA events on GPU
(``time.perf_counter`` on CPU); inputs are random normal, rotated among 4 sets so repeated
runs do not read a warm cache.
"""
import argparse
import math
import os
import statistics
import time
from typing import Callable, Dict, List, Optional

import mmengine
import torch

from mmstvg.ops import attention, masked_spatial_mean, pooled_attention

DTYPES = dict(fp32=torch.float32, fp16=torch.float16, bf16=torch.bfloat16)

# STVGFormer at the paper's settings (configs/stvgformer/*hcstvg-v2.py): d = 256, 8 heads,
# batch 1 per GPU. train: T = 48 frames of 224x224 -> ResNet-101 C5 7x7 (static), SlowFast
# stride 16 14x14 (dynamic); test: T = 96 frames, short side 224 of a 16:9 video (398x224)
# -> C5 13x7 and 25x14. L = 32 text tokens (HC-STVG sentences).
SETTINGS = dict(
    train=dict(T=48, S_static=49, S_dyn=196, L=32, d=256, heads=8),
    test=dict(T=96, S_static=91, S_dyn=350, L=32, d=256, heads=8),
    tiny=dict(T=8, S_static=16, S_dyn=16, L=8, d=32, heads=2),
)


def attention_cases(s: dict) -> List[dict]:
    """(name, batch, Lq, Lk, weights) of each attention call of one STVGFormer layer."""
    t, ss, sd, n = s['T'], s['S_static'], s['S_dyn'], s['L']
    return [
        dict(name='static encoder self-attn', b=t, lq=ss + n, lk=ss + n, weights=False),
        dict(name='static decoder cross-attn (+weights)', b=t, lq=1, lk=ss + n, weights=True),
        dict(name='STCMT temporal self-attn', b=sd, lq=t, lk=t, weights=False),
        dict(name='STCMT spatial self-attn', b=t, lq=sd, lk=sd, weights=False),
        dict(name='STCMT video->text cross-attn', b=1, lq=t * sd, lk=n, weights=False),
        dict(name='STCMT text->pooled video', b=1, lq=n, lk=t, weights=False, pooled=True),
        dict(name='SDIB query->frame cross-attn', b=t, lq=1, lk=sd, weights=False),
        dict(name='SDIB temporal self-attn', b=1, lq=t, lk=t, weights=False),
    ]


class Timer:

    def __init__(self, device: str):
        self.cuda = device.startswith('cuda')

    def sync(self):
        if self.cuda:
            torch.cuda.synchronize()

    def median_ms(self, fn: Callable[[int], None], warmup: int, iters: int) -> float:
        for i in range(warmup):
            fn(i)
        self.sync()
        times = []
        for i in range(iters):
            if self.cuda:
                start, end = (torch.cuda.Event(enable_timing=True) for _ in range(2))
                start.record()
                fn(i)
                end.record()
                end.synchronize()
                times.append(start.elapsed_time(end))
            else:
                t0 = time.perf_counter()
                fn(i)
                times.append((time.perf_counter() - t0) * 1e3)
        return statistics.median(times)


def measure_roofline(device: str, dtype: torch.dtype, timer: Timer) -> Dict[str, float]:
    """Measured peak matmul rate (FLOP/s) and copy bandwidth (B/s) on ``device``."""
    n = 8192 if device.startswith('cuda') else 1024
    a, b = (torch.randn(n, n, device=device, dtype=dtype) for _ in range(2))
    ms = timer.median_ms(lambda i: a @ b, 3, 10)
    flops = 2 * n**3 / (ms * 1e-3)
    numel = (1 << 28) if device.startswith('cuda') else (1 << 24)
    src = torch.randn(numel, device=device, dtype=torch.float32)
    dst = torch.empty_like(src)
    ms = timer.median_ms(lambda i: dst.copy_(src), 3, 10)
    bw = 2 * src.numel() * src.element_size() / (ms * 1e-3)
    return dict(matmul_flops=flops, copy_bytes_per_s=bw)


def run_case(case: dict, s: dict, impl: str, dtype: torch.dtype, device: str, timer: Timer,
             warmup: int, iters: int, backward: bool) -> dict:
    h, d = s['heads'], s['d'] // s['heads']
    b, lq, lk = case['b'], case['lq'], case['lk']
    pooled = case.get('pooled', False)
    sets = []
    for _ in range(4):
        if pooled:  # queries in feature space (d channels); keys: T frames of S_dyn positions
            q = torch.randn(b, h, lq, s['d'], device=device, dtype=dtype)
            x = torch.randn(b, lk, s['S_dyn'], s['d'], device=device, dtype=dtype)
            tensors = [q, x]
        else:
            tensors = [torch.randn(b, h, n, d, device=device, dtype=dtype) for n in (lq, lk, lk)]
        mask = torch.zeros(b, lk, dtype=torch.bool, device=device)
        mask[:, lk - lk // 8:] = lk > 8  # pad the last eighth of the keys
        sets.append(([t.requires_grad_(backward) for t in tensors], mask))

    def forward(i):
        tensors, mask = sets[i % 4]
        if pooled:
            q, x = tensors
            if impl == 'fused':
                return pooled_attention(q, x, None, mask, scale=d**-0.5, impl='fused')
            # pool the video, then attend over it (what the naive / sdpa modules do)
            kv = masked_spatial_mean(x, None)[:, None].expand(-1, h, -1, -1)
            return attention(q, kv, kv, mask, impl=impl, scale=d**-0.5)[0]
        q, k, v = tensors
        out, w = attention(q, k, v, mask, impl=impl, need_weights=case['weights'])
        return out if w is None else out.float().sum() + w.float().sum()

    def step(i):
        out = forward(i)
        if backward:
            out.float().sum().backward()

    if device.startswith('cuda'):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    ms = timer.median_ms(step, warmup, iters)
    peak = (torch.cuda.max_memory_allocated() - base) if device.startswith('cuda') else None
    # forward: 2 matmuls; backward counted as 5 more (FlashAttention-2's convention)
    c = s['d'] if pooled else d
    flops = 4 * b * h * lq * lk * c * (3.5 if backward else 1.0)
    elem = torch.finfo(dtype).bits // 8
    io = (b * h * lq * c * 2 + (b * lk * s['S_dyn'] * c if pooled else 2 * b * h * lk * c)) * elem
    if case['weights']:
        io += b * lq * lk * elem
    io *= 2 if backward else 1
    return dict(
        case=case['name'],
        impl=impl,
        shape=dict(batch=b, heads=h, lq=lq, lk=lk, dim=c),
        ms=ms,
        peak_bytes=peak,
        flops_per_s=flops / (ms * 1e-3),
        bytes_per_s=io / (ms * 1e-3))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--dtype', choices=list(DTYPES), default='bf16')
    parser.add_argument('--setting', choices=list(SETTINGS), default='train')
    parser.add_argument('--impls', nargs='+', default=['naive', 'sdpa', 'fused'])
    parser.add_argument('--no-backward', action='store_true', help='forward only')
    parser.add_argument('--warmup', type=int, default=10)
    parser.add_argument('--iters', type=int, default=50)
    parser.add_argument('--out', help='write all numbers to this JSON file')
    args = parser.parse_args(argv)
    if args.device == 'cpu' and 'fused' in args.impls and \
            os.environ.get('TRITON_INTERPRET', '0') in ('', '0'):
        parser.error("'fused' needs --device cuda (or TRITON_INTERPRET=1, too slow to time)")
    return args


def run(args: argparse.Namespace, on_row: Optional[Callable[[dict, dict], None]] = None) -> dict:
    """Measure the roofline, then every attention case of ``args.setting`` for each impl;
    ``on_row(row, report)`` is called after each measurement (for callers that save as they
    go; ``report`` holds the device and roofline).
    Returns the report (as saved by ``--out``)."""
    dtype = DTYPES[args.dtype]
    timer = Timer(args.device)
    s = SETTINGS[args.setting]
    roof = measure_roofline(args.device, dtype, timer)
    name = torch.cuda.get_device_name() if args.device.startswith('cuda') else 'cpu'
    report = dict(
        device=name,
        dtype=args.dtype,
        setting=args.setting,
        settings=s,
        backward=not args.no_backward,
        roofline=roof,
        torch=torch.__version__,
        results=[])
    for case in attention_cases(s):
        for impl in args.impls:
            row = run_case(case, s, impl, dtype, args.device, timer, args.warmup, args.iters,
                           not args.no_backward)
            report['results'].append(row)
            if on_row is not None:
                on_row(row, report)
    return report


def print_table(report: dict) -> None:
    """The report as a table, speed-ups against the first impl."""
    roof, rows = report['roofline'], report['results']
    print(f'device: {report["device"]}  dtype: {report["dtype"]}  setting: '
          f'{report["setting"]}  {"fwd+bwd" if report["backward"] else "fwd"}  roofline: '
          f'{roof["matmul_flops"] / 1e12:.1f} TFLOP/s, {roof["copy_bytes_per_s"] / 1e9:.0f} GB/s')
    first = rows[0]['impl'] if rows else ''
    header = f'{"attention":38s} {"impl":6s} {"ms":>9s} {"x " + first:>8s} {"peak MiB":>9s} ' \
             f'{"%FLOP":>6s} {"%BW":>6s}'
    print(header)
    base = {r['case']: r['ms'] for r in rows if r['impl'] == first}
    for r in rows:
        speedup = base.get(r['case'], math.nan) / r['ms']
        peak = '-' if r['peak_bytes'] is None else f'{r["peak_bytes"] / 2 ** 20:.1f}'
        print(f'{r["case"]:38s} {r["impl"]:6s} {r["ms"]:9.3f} {speedup:8.2f} {peak:>9s} '
              f'{100 * r["flops_per_s"] / roof["matmul_flops"]:6.1f} '
              f'{100 * r["bytes_per_s"] / roof["copy_bytes_per_s"]:6.1f}')


def main(argv=None):
    args = parse_args(argv)
    report = run(args)
    if args.out:
        mmengine.dump(report, args.out, indent=2)
    print_table(report)
    return report


if __name__ == '__main__':
    main()
