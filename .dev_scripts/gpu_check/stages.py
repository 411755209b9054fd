"""The stages of the GPU verification kit (``.dev_scripts/gpu_check/gpu_check.py``).

Each stage runs in its own process (``gpu_check.py --run-stage NAME``), appends one unit of
results at a time to a :class:`Recorder` (rewritten to disk after every unit, so a stage
killed at its time limit keeps what it measured) and stops starting units once its deadline
has passed (the units left are recorded as skipped, with the reason).

Stages:

- ``env``: device, driver, versions, CPU count, the build tools the mmcv build needs.
- ``kernels``: the Triton kernels against the float64 reference, forward and backward, at odd
  sizes and at the paper's shapes, in bf16 / fp16 (fp32 too on odd sizes), with explicit
  relative-error tolerances; then ``pytest tests/test_ops`` on the GPU (the tests skipped on
  CPU).
- ``attention``: ``benchmark_attention.py`` (train: fwd+bwd, test: fwd) naive / sdpa / fused.
- ``fixed-tiles``: the fused kernels again with ``MMSTVG_AUTOTUNE=0`` (the fixed tile
  heuristic), to show where autotuning helps.
- ``model``: ``benchmark_model.py``: STVGFormer at the paper's settings per ``attn_impl`` and
  GKCMN on feature input.

``cpu=True`` (the kit's ``--cpu`` dry run) runs the same code at tiny sizes on the CPU with
Triton's interpreter.
"""
import json
import math
import os
import os.path as osp
import platform
import shutil
import subprocess
import sys
import time
from typing import Callable, Dict, List, Optional

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ANALYSIS = osp.join(REPO, 'tools', 'analysis_tools')

# Relative errors ||out - ref|| / ||ref|| against float64 allowed per working precision:
# (forward output and head-averaged probabilities, input gradients). fp32 runs exact IEEE
# products (no TF32); half precision rounds the inputs and the probabilities fed to the second
# matmul (fp16: 11-bit, bf16: 8-bit mantissa), the backward accumulates more of that.
TOLERANCES = dict(fp32=(1e-5, 1e-4), fp16=(2e-3, 5e-3), bf16=(1.5e-2, 3e-2))

STVGFORMER_CFG = 'configs/stvgformer/stvgformer_r101-mdetr-pre-slowfast_8xb1-t48-10e_hcstvg-v2.py'
GKCMN_CFG = 'configs/gkcmn/gkcmn_i3d_vidstg.py'
TINY_STVGFORMER_CFG = 'configs/stvgformer/stvgformer_r18-c16-slowfast-tiny_1xb8-t32-8e_synth.py'
TINY_GKCMN_CFG = 'configs/gkcmn/gkcmn_r3d18-tiny_1xb8-t32-8e_synth.py'


class Recorder:
    """Units of one stage, written to ``path`` as JSON after each one."""

    def __init__(self, path: str, stage: str, deadline: float):
        self.path, self.deadline = path, deadline
        self.data = dict(stage=stage, results=[], skipped=[], errors=[], info={})
        self.flush()

    def time_left(self) -> float:
        return self.deadline - time.time()

    def add(self, result: dict) -> None:
        self.data['results'].append(result)
        self.flush()

    def skip(self, unit: str, reason: str, timed_out: bool = True) -> None:
        """Record ``unit`` as not run: for lack of time, or (``timed_out=False``) by design."""
        self.data['skipped'].append(dict(unit=unit, reason=reason, timed_out=timed_out))
        self.flush()

    def error(self, unit: str, exc: BaseException) -> None:
        self.data['errors'].append(dict(unit=unit, error=f'{type(exc).__name__}: {exc}'))
        self.flush()

    def flush(self) -> None:
        tmp = self.path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(self.data, f, indent=1, default=str)
        os.replace(tmp, self.path)

    def units(self, names: List[str], fn: Callable[[str], None], min_left: float = 0.0):
        """Run ``fn(name)`` for each unit while time is left (``min_left`` seconds at least);
        record the rest as skipped and the failures as errors."""
        for i, name in enumerate(names):
            if self.time_left() <= min_left:
                for rest in names[i:]:
                    self.skip(rest, 'stage time limit reached before this unit started')
                return
            try:
                fn(name)
            except Exception as exc:  # one unit's failure must not hide the others
                self.error(name, exc)
                print(f'[gpu_check] {name}: {type(exc).__name__}: {exc}', flush=True)


def _import_tool(name: str):
    """The module of ``tools/analysis_tools/<name>.py``."""
    from mmstvg.testing import import_script
    return import_script(osp.join(ANALYSIS, f'{name}.py'))


def _cuda_ok() -> bool:
    import torch
    return torch.cuda.is_available()


# --------------------------------------------------------------------------------------- env
def stage_env(rec: Recorder, cpu: bool) -> None:
    import torch
    info = dict(
        python=platform.python_version(),
        torch=torch.__version__,
        torch_cuda=torch.version.cuda,
        cpu_count=os.cpu_count(),
        cuda_available=torch.cuda.is_available(),
        machine=platform.machine())
    try:
        import triton
        info['triton'] = triton.__version__
    except ImportError:
        info['triton'] = None
    if torch.cuda.is_available():
        p = torch.cuda.get_device_properties(0)
        info.update(
            device=torch.cuda.get_device_name(0),
            capability='%d.%d' % (p.major, p.minor),
            sm_count=p.multi_processor_count,
            memory_gib=p.total_memory / 2**30)
    else:
        info['device'] = 'cpu'
    if shutil.which('nvidia-smi'):
        out = subprocess.run([
            'nvidia-smi', '--query-gpu=name,driver_version,memory.total,'
            'clocks.sm,clocks.mem', '--format=csv,noheader'
        ],
                             capture_output=True,
                             text=True,
                             timeout=30)
        info['nvidia_smi'] = out.stdout.strip() or out.stderr.strip()
    import sysconfig
    inc = sysconfig.get_paths()['include']
    info['python_h'] = osp.isfile(osp.join(inc, 'Python.h'))
    info['ninja'] = shutil.which('ninja') or shutil.which(
        'ninja', path=osp.dirname(sys.executable))
    info['cxx'] = shutil.which('c++') or shutil.which('g++')
    for mod in ('mmengine', 'mmcv', 'mmdet', 'mmaction', 'transformers', 'setuptools'):
        try:
            info[mod] = __import__(mod).__version__
        except Exception as exc:  # absent or broken: say which
            info[mod] = f'unavailable ({type(exc).__name__})'
    rec.data['info'] = info
    rec.add(dict(unit='env', **info))


# ----------------------------------------------------------------------------------- kernels
def _rel(a, b) -> float:
    """||a - b|| / ||b|| in float64 (NaN if anything is not finite)."""
    import torch
    a, b = a.detach().double().cpu(), b.detach().double().cpu()
    if not torch.isfinite(a).all():
        return math.nan
    den = b.norm().item()
    return (a - b).norm().item() / (den if den > 0 else 1.0)


def kernel_cases(cpu: bool) -> List[dict]:
    """Every correctness check, most telling first (a stage that runs out of time skips the
    tail): the paper's shapes with the autotuned tiles the benchmarks run, odd sizes with the
    fixed tiles (boundary handling; one compile per variant instead of one per tile config).
    Keys: name, op ('flash' | 'pooled'), shape, dtype, mask, probs, tiles."""
    if cpu:
        odd = [(3, 2, 37, 29, 24), (2, 3, 1, 70, 16)]
        paper = [('tiny STCMT spatial', (2, 2, 20, 20, 16), False)]
        pooled_paper = [('tiny STCMT text->video', (1, 2, 8, 8, 16, 32))]
        order = [('fp32', 'paper'), ('fp32', 'odd'), ('fp32', 'pooled')]
    else:
        odd = [(3, 2, 37, 29, 24), (2, 3, 1, 70, 16), (3, 1, 20, 5, 40), (3, 4, 130, 77, 32),
               (2, 2, 45, 67, 80), (1, 8, 257, 300, 64)]
        paper = [  # (name, (B, H, Lq, Lk, D), probs): d = 256, 8 heads
            ('static encoder self-attn (train)', (48, 8, 81, 81, 32), False),
            ('static decoder cross-attn +weights (train)', (48, 8, 1, 81, 32), True),
            ('STCMT temporal self-attn (train)', (196, 8, 48, 48, 32), False),
            ('STCMT spatial self-attn (train)', (48, 8, 196, 196, 32), False),
            ('STCMT video->text (train)', (1, 8, 9408, 32, 32), False),
            ('SDIB query->frame (train)', (48, 8, 1, 196, 32), False),
            ('STCMT spatial self-attn (test)', (96, 8, 350, 350, 32), False),
            ('STCMT video->text (test)', (1, 8, 33600, 32, 32), False),
        ]
        pooled_paper = [('STCMT text->pooled video (train)', (1, 8, 32, 48, 196, 256)),
                        ('STCMT text->pooled video (test)', (1, 8, 32, 96, 350, 256))]
        order = [('bf16', 'paper'), ('bf16', 'odd'), ('fp16', 'odd'), ('fp16', 'paper'),
                 ('bf16', 'pooled'), ('fp16', 'pooled'), ('fp32', 'odd')]
    cases = []
    for dt, group in order:
        if group == 'paper':
            cases += [
                dict(
                    name=name,
                    op='flash',
                    shape=shape,
                    dtype=dt,
                    mask=True,
                    probs=probs,
                    tiles='autotuned') for name, shape, probs in paper
            ]
        elif group == 'odd':
            for shape in odd:
                for probs in (False, True):
                    cases.append(
                        dict(
                            name=f'odd {shape}' + (' +weights' if probs else ''),
                            op='flash',
                            shape=shape,
                            dtype=dt,
                            mask=True,
                            probs=probs,
                            tiles='fixed'))
            cases.append(
                dict(
                    name='odd no mask',
                    op='flash',
                    shape=odd[0],
                    dtype=dt,
                    mask=False,
                    probs=False,
                    tiles='fixed'))
        else:
            cases += [
                dict(
                    name=f'pooled {name}',
                    op='pooled',
                    shape=shape,
                    dtype=dt,
                    mask=True,
                    probs=False,
                    tiles='autotuned') for name, shape in pooled_paper
            ]
            cases.append(
                dict(
                    name='pooled odd',
                    op='pooled',
                    shape=(3, 2, 7, 6, 19, 24),
                    dtype=dt,
                    mask=True,
                    probs=False,
                    tiles='fixed'))
    return cases


def _poison(device, shapes, dtype):
    """Fill and free blocks of the outputs' sizes, so that the caching allocator hands the
    kernels NaN-filled memory: an output element the kernel fails to write stays NaN."""
    import torch
    if device == 'cpu':
        return
    bufs = [torch.full(s, math.nan, device=device, dtype=dtype) for s in shapes]
    del bufs


def check_kernel(case: dict, device: str, seed: int) -> dict:
    """One correctness check: fused (at ``case['dtype']``) vs the float64 reference, forward
    and backward, fresh random inputs, a random key-padding mask with a fully padded sample."""
    import torch

    from mmstvg.ops import (attention, attention_ref, pooled_attention, pooled_attention_ref,
                            triton_attention)
    triton_attention.AUTOTUNE = case['tiles'] == 'autotuned'
    dt = dict(fp32=torch.float32, fp16=torch.float16, bf16=torch.bfloat16)[case['dtype']]
    ref_dev = device  # float64 reference on the same device (fast on a GPU)
    g = torch.Generator().manual_seed(seed)
    fwd_tol, bwd_tol = TOLERANCES[case['dtype']]
    res = dict(
        name=case['name'],
        op=case['op'],
        dtype=case['dtype'],
        shape=list(case['shape']),
        mask=case['mask'],
        weights=case['probs'],
        tiles=case['tiles'],
        tol_fwd=fwd_tol,
        tol_bwd=bwd_tol)
    t0 = time.time()
    if case['op'] == 'flash':
        b, h, lq, lk, d = case['shape']
        q, k, v = (torch.randn(b, h, n, d, generator=g, dtype=torch.float64) for n in (lq, lk, lk))
        mask = None
        if case['mask']:
            mask = torch.rand(b, lk, generator=g) < 0.2
            mask[0] = False
            if b > 2:
                mask[-1] = True  # a sample with every key padded: zeros, no NaN
        ref_in = [t.to(ref_dev).clone().requires_grad_() for t in (q, k, v)]
        mask_d = None if mask is None else mask.to(device)
        out_r, probs_r = attention_ref(
            *ref_in, key_padding_mask=mask_d, return_probs=case['probs'])
        fin = [t.to(device, dt).clone().requires_grad_() for t in (q, k, v)]
        _poison(device, [q.shape] * 4 + [(b, lq, lk)], dt)
        out_f, probs_f = attention(
            *fin, key_padding_mask=mask_d, impl='fused', need_weights=case['probs'])
        go = torch.randn(out_r.shape, generator=g, dtype=torch.float64).to(ref_dev)
        loss_r, loss_f = (out_r * go).sum(), (out_f.double() * go).sum()
        res['fwd_rel_err'] = _rel(out_f, out_r)
        if case['probs']:
            res['weights_rel_err'] = _rel(probs_f, probs_r)
            gp = torch.randn(probs_r.shape, generator=g, dtype=torch.float64).to(ref_dev)
            loss_r = loss_r + (probs_r * gp).sum()
            loss_f = loss_f + (probs_f.double() * gp).sum()
        loss_r.backward()
        loss_f.backward()
        for n, a, r in zip('qkv', fin, ref_in):
            res[f'd{n}_rel_err'] = _rel(a.grad, r.grad)
        if mask is not None and b > 2:
            res['padded_sample_zero'] = bool(out_f[-1].abs().max().item() == 0)
    else:
        b, h, n, t, s, c = case['shape']
        q = torch.randn(b, h, n, c, generator=g, dtype=torch.float64)
        x = torch.randn(b, t, s, c, generator=g, dtype=torch.float64)
        smask = torch.rand(b, s, generator=g) < 0.2
        kpm = torch.rand(b, t, generator=g) < 0.2
        smask[0], kpm[0] = False, False
        qr, xr = (t.to(ref_dev).clone().requires_grad_() for t in (q, x))
        sm, km = smask.to(device), kpm.to(device)
        ref = pooled_attention_ref(qr, xr, sm, km, scale=c**-0.5)
        qf, xf = (t.to(device, dt).clone().requires_grad_() for t in (q, x))
        _poison(device, [q.shape], dt)
        out = pooled_attention(qf, xf, sm, km, scale=c**-0.5, impl='fused')
        go = torch.randn(ref.shape, generator=g, dtype=torch.float64).to(ref_dev)
        (ref * go).sum().backward()
        (out.double() * go).sum().backward()
        res['fwd_rel_err'] = _rel(out, ref)
        res['dq_rel_err'] = _rel(qf.grad, qr.grad)
        res['dx_rel_err'] = _rel(xf.grad, xr.grad)
    if device != 'cpu':
        torch.cuda.synchronize()
    res['seconds'] = time.time() - t0
    fwd = [v for k, v in res.items() if k in ('fwd_rel_err', 'weights_rel_err')]
    bwd = [
        v for k, v in res.items()
        if k.endswith('_rel_err') and k not in ('fwd_rel_err', 'weights_rel_err')
    ]
    # NaN never passes (comparisons with NaN are False)
    res['passed'] = (
        all(e <= fwd_tol for e in fwd) and all(e <= bwd_tol for e in bwd)
        and res.get('padded_sample_zero', True))
    return res


def stage_kernels(rec: Recorder, cpu: bool) -> None:
    import torch
    if not cpu and not _cuda_ok():
        raise RuntimeError('no CUDA device: run with --cpu for the dry run')
    device = 'cpu' if cpu else 'cuda'
    cases = kernel_cases(cpu)
    by_name = {f'{c["dtype"]} {c["op"]} {c["name"]}': c for c in cases}

    def one(unit):
        res = check_kernel(by_name[unit], device, seed=len(rec.data['results']) + 1)
        res['unit'] = unit
        rec.add(res)
        print(
            f'[gpu_check] kernels {unit}: fwd {res["fwd_rel_err"]:.2e} '
            f'{"PASS" if res["passed"] else "FAIL"} ({res["seconds"]:.1f} s)',
            flush=True)
        if device != 'cpu':
            torch.cuda.empty_cache()

    rec.units(list(by_name), one)
    if cpu:
        rec.skip(
            'pytest tests/test_ops', 'CPU dry run: CI runs these tests itself', timed_out=False)
        return
    if rec.time_left() < 20:
        rec.skip('pytest tests/test_ops', 'stage time limit reached before this unit started')
        return
    t0 = time.time()
    try:
        proc = subprocess.run([
            sys.executable, '-m', 'pytest', 'tests/test_ops', '-q', '-x', '-p', 'no:cacheprovider'
        ],
                              cwd=REPO,
                              capture_output=True,
                              text=True,
                              timeout=max(10,
                                          rec.time_left() - 5))
    except subprocess.TimeoutExpired:
        rec.skip('pytest tests/test_ops', 'stage time limit reached while it ran')
        return
    tail = (proc.stdout + proc.stderr).strip().splitlines()
    rec.add(
        dict(
            unit='pytest tests/test_ops',
            returncode=proc.returncode,
            summary=tail[-1] if tail else '',
            passed=proc.returncode == 0,
            seconds=time.time() - t0))


# --------------------------------------------------------------------------------- attention
def attention_runs(cpu: bool, impls: Optional[List[str]] = None) -> List[List[str]]:
    """benchmark_attention.py argument lists: the training setting fwd+bwd and the test
    setting fwd (the paper's shapes in bf16 on a GPU; tiny fp32 on CPU)."""
    impls = impls or ['naive', 'sdpa', 'fused']
    if cpu:
        base = [
            '--device', 'cpu', '--dtype', 'fp32', '--setting', 'tiny', '--warmup', '0', '--iters',
            '1', '--impls', *impls
        ]
        return [base, base + ['--no-backward']]
    base = [
        '--device', 'cuda', '--dtype', 'bf16', '--warmup', '5', '--iters', '20', '--impls', *impls
    ]
    return [base + ['--setting', 'train'], base + ['--setting', 'test', '--no-backward']]


def stage_attention(rec: Recorder,
                    cpu: bool,
                    impls: Optional[List[str]] = None,
                    first_only: bool = False) -> None:
    bench = _import_tool('benchmark_attention')

    def one(unit):
        args = bench.parse_args(runs[unit])
        direction = 'fwd' if args.no_backward else 'fwd+bwd'

        def on_row(row, report):
            rec.add(
                dict(
                    row,
                    unit=f'{unit} {row["case"]} {row["impl"]}',
                    setting=args.setting,
                    direction=direction,
                    dtype=args.dtype,
                    device=report['device'],
                    roofline=report['roofline']))

        bench.print_table(bench.run(args, on_row=on_row))

    runs = {}
    for argv in attention_runs(cpu, impls)[:1 if first_only else None]:
        setting = argv[argv.index('--setting') + 1]
        runs[f'{setting} {"fwd" if "--no-backward" in argv else "fwd+bwd"}'] = argv
    rec.units(list(runs), one)


# ------------------------------------------------------------------------------------- model
def model_runs(cpu: bool) -> Dict[str, List[str]]:
    """benchmark_model.py argument lists: STVGFormer at the paper's settings (bf16 AMP, T = 48
    train frames, 7 passes of 96 frames per test video: a 20-s, 30-fps HC-STVG v2 video; one
    geometry, 224x398, in both; 7x7x2304 SlowFast clip features, as the paper config reads)
    and GKCMN on VidSTG I3D feature maps (200 steps of 7x7x2048, mmaction2's I3D R50 as its
    extractor config gives, 20 words, batch 16, random GloVe table). CPU: the synthetic tiny
    models."""
    if cpu:
        common = [
            '--device', 'cpu', '--amp', 'none', '--warmup', '0', '--iters', '1', '--text-len', '6'
        ]
        return {
            # 'fused' in the interpreter takes minutes here: the layer tests cover it
            'STVGFormer': [
                TINY_STVGFORMER_CFG, *common, '--impls', 'naive', 'sdpa', '--train-frames', '8',
                '--test-frames', '8', '--test-passes', '2', '--img-size', '48', '48',
                '--test-img-size', '48', '80'
            ],
            'GKCMN': [
                TINY_GKCMN_CFG, *common, '--impls', 'sdpa', '--train-frames', '8', '--test-frames',
                '8', '--img-size', '32', '32', '--test-img-size', '32', '32', '--batch-size', '2'
            ],
        }
    common = ['--device', 'cuda', '--amp', 'bf16', '--warmup', '2', '--iters', '6']
    return {
        'STVGFormer': [
            STVGFORMER_CFG, *common, '--impls', 'naive', 'sdpa', 'fused', '--train-frames', '48',
            '--test-frames', '96', '--test-passes', '7', '--feature-shape', '7', '7', '2304',
            '--img-size', '224', '398', '--test-img-size', '224', '398', '--text-len', '32'
        ],
        'GKCMN': [
            GKCMN_CFG, *common, '--impls', 'sdpa', '--train-frames', '200', '--test-frames', '200',
            '--feature-shape', '7', '7', '2048', '--img-size', '32', '32', '--test-img-size', '32',
            '32', '--text-len', '20', '--batch-size', '16', '--cfg-options',
            'model.text_encoder.glove_file=None', 'model.text_encoder.vocab_file=None',
            'model.text_encoder.vocab_size=20000'
        ],
    }


def stage_model(rec: Recorder, cpu: bool) -> None:
    import torch
    bench = _import_tool('benchmark_model')
    runs = model_runs(cpu)

    def one(unit):
        args = bench.parse_args(runs[unit])
        args.config = osp.join(REPO, args.config)
        t0 = time.time()
        model = bench.build_model(args)
        build_s = time.time() - t0
        for impl in args.impls:
            if rec.time_left() <= 0:
                rec.skip(f'{unit} {impl}', 'stage time limit reached before this unit started')
                continue
            sub = bench.parse_args(runs[unit])
            sub.config, sub.impls = args.config, [impl]
            try:
                report = bench.run(sub, model=model)
            except Exception as exc:  # e.g. out of memory for one impl
                rec.error(f'{unit} {impl}', exc)
                print(f'[gpu_check] model {unit} {impl}: {type(exc).__name__}: {exc}', flush=True)
                continue
            finally:
                if not cpu:
                    torch.cuda.empty_cache()
            row = dict(
                report['results'][0],
                unit=f'{unit} {impl}',
                model=unit,
                params=report['params'],
                build_s=build_s,
                settings={
                    k: v
                    for k, v in report['settings'].items() if k not in ('impls', 'device')
                })
            rec.add(row)
            bench.print_table(dict(report, results=[row]))
        del model

    rec.units(list(runs), one)


STAGE_FUNCS = dict(
    env=stage_env, kernels=stage_kernels, attention=stage_attention, model=stage_model)


def run_stage(name: str, out: str, deadline: float, cpu: bool) -> int:
    """Entry of a stage process (started by ``gpu_check.run_stage_process`` with the
    repository on ``PYTHONPATH``); returns its exit code."""
    if cpu:
        os.environ.setdefault('TRITON_INTERPRET', '1')
    rec = Recorder(out, name, deadline)
    try:
        if name == 'fixed-tiles':  # MMSTVG_AUTOTUNE=0 is set by the parent process
            stage_attention(rec, cpu, impls=['fused'], first_only=cpu)
        else:
            STAGE_FUNCS[name](rec, cpu)
    except Exception as exc:
        rec.error(name, exc)
        raise
    return 0
