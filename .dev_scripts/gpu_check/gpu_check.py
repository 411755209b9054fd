"""GPU verification kit: one command proves the fused kernels and the models on a CUDA machine
and writes one JSON and one Markdown report (``docs/benchmarks.md``, "GPU verification kit").

    # on the lent GPU machine (.dev_scripts/gpu_check/run.sh installs the carried wheels first)
    bash .dev_scripts/gpu_check/run.sh
    # CPU dry run: every stage at tiny sizes, Triton's interpreter, the same report (CI)
    python .dev_scripts/gpu_check/gpu_check.py --cpu --out work_dirs/gpu_check_cpu

Stages (``stages.py``), each in its own process with its own time limit; a stage that runs out
of time keeps the units it finished and lists the rest as skipped, with the reason:
``env``, ``kernels`` (correctness vs float64), ``attention`` (naive / sdpa / fused),
``fixed-tiles`` (fused without autotuning), ``model`` (STVGFormer, GKCMN). When ``mmcv.ops``
is missing and the model stage is asked for, mmcv 2.1.0 is built from the carried sdist with
CPU ops only (``CUDA_VISIBLE_DEVICES=`` hides the GPU from its setup.py), in the background
while the GPU stages run; the build time is measured and the wheel copied to the output
folder, so that a rerun can carry it instead of building again.
"""
import argparse
import datetime
import glob
import json
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import time
from typing import Dict, List, Optional

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(HERE))
SCHEMA = 'mmstvg-gpu-check/1'
STAGES = ('env', 'kernels', 'attention', 'fixed-tiles', 'model')
# seconds per stage (upper limits, not estimates): GPU run, CPU dry run
BUDGETS = dict(
    env=(30, 120),
    kernels=(75, 180),
    attention=(110, 180),
    model=(170, 300),
    **{'fixed-tiles': (40, 180)})
# targets of issue 16 (the peers' figures for STVGFormer inference)
TARGET_FUSED_VS_NAIVE = 1.5
TARGET_FUSED_VS_SDPA = 1.0
TARGET_INFER_S = 0.57
TARGET_INFER_BYTES = 28e9  # 28 GB
MAX_RETURNED_FILE = 16 * 2**20  # the device tool returns files up to 16 MiB


# ------------------------------------------------------------------------------------ mmcv
def mmcv_ops_importable() -> (bool, str):
    """Whether ``import mmcv.ops`` works in a fresh interpreter, and the error's last line."""
    proc = subprocess.run([sys.executable, '-c', 'import mmcv.ops'],
                          capture_output=True,
                          text=True,
                          timeout=120)
    lines = proc.stderr.strip().splitlines()
    return proc.returncode == 0, (lines[-1] if lines else '')


def mmcv_build_command(sdist: str,
                       wheel_dir: str,
                       jobs: int,
                       include_dir: Optional[str] = None) -> (List[str], Dict[str, str]):
    """``pip wheel`` of the mmcv sdist with its compiled CPU ops, and its environment.

    ``MMCV_WITH_OPS=1`` builds ``mmcv._ext``; mmcv's setup.py compiles the CUDA ops whenever
    ``torch.cuda.is_available()``, so ``CUDA_VISIBLE_DEVICES=`` hides the GPU (the CPU ops are
    all mmdet/mmaction import; the CUDA ones would take many minutes more). ``-g0`` drops
    the debug info (a smaller wheel and a faster compile), ``MAX_JOBS`` sets ninja's
    parallelism. ``--no-build-isolation`` builds against the installed torch.
    """
    env = dict(os.environ)
    cflags = env.get('CFLAGS', '') + ' -g0'
    if include_dir:
        cflags += f' -I{include_dir}'
    env.update(
        MMCV_WITH_OPS='1',
        MAX_JOBS=str(jobs),
        CUDA_VISIBLE_DEVICES='',
        FORCE_CUDA='0',
        CFLAGS=cflags.strip(),
        CXXFLAGS=(env.get('CXXFLAGS', '') + ' -g0').strip(),
        PATH=osp.dirname(sys.executable) + os.pathsep + env.get('PATH', ''))
    cmd = [
        sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '--no-index',
        '--no-cache-dir', '-w',
        osp.abspath(wheel_dir),
        osp.abspath(sdist)
    ]
    return cmd, env


def python_include_fallback(wheels: str, work: str) -> Optional[str]:
    """If this Python has no ``Python.h`` (no -dev package), unpack the headers carried as
    ``python3.X-include.tar.gz`` and return their folder."""
    import sysconfig
    if osp.isfile(osp.join(sysconfig.get_paths()['include'], 'Python.h')):
        return None
    tag = f'python{sys.version_info.major}.{sys.version_info.minor}'
    tar = osp.join(wheels, f'{tag}-include.tar.gz')
    if not osp.isfile(tar):
        return None
    dest = osp.join(work, 'pyinc')
    with tarfile.open(tar) as f:
        f.extractall(dest)
    hits = glob.glob(osp.join(dest, '**', 'Python.h'), recursive=True)
    return osp.dirname(hits[0]) if hits else None


class MMCVBuild:
    """mmcv with compiled ops for the model stage: already importable, or built in the
    background from ``<wheels>/mmcv-*.tar.gz`` and installed into ``site``."""

    def __init__(self, wheels: str, site: Optional[str], work: str, out: str, jobs: int):
        self.wheels, self.site, self.work, self.out, self.jobs = wheels, site, work, out, jobs
        self.info = dict(status='not needed')
        self.proc = None

    def start(self) -> None:
        t0 = time.time()
        ok, err = mmcv_ops_importable()
        if ok:
            self.info = dict(
                status='present',
                check_s=time.time() - t0,
                note='mmcv.ops was importable (installed or carried as a wheel)')
            return
        sdists = sorted(glob.glob(osp.join(self.wheels, 'mmcv-*.tar.gz')))
        if not sdists:
            self.info = dict(
                status='unavailable',
                import_error=err,
                note=f'mmcv.ops not importable and no mmcv sdist in {self.wheels}')
            return
        if not self.site:
            self.info = dict(
                status='unavailable', import_error=err, note='no --site folder to install into')
            return
        os.makedirs(self.work, exist_ok=True)
        inc = python_include_fallback(self.wheels, self.work)
        wheel_dir = osp.join(self.work, 'mmcv_wheel')
        cmd, env = mmcv_build_command(sdists[-1], wheel_dir, self.jobs, inc)
        self.log_path = osp.join(self.work, 'mmcv_build.log')
        self.log = open(self.log_path, 'w')
        self.info = dict(
            status='building',
            sdist=osp.basename(sdists[-1]),
            jobs=self.jobs,
            python_include_fallback=inc,
            command=' '.join(cmd))
        self.t0 = time.time()
        print(f'[gpu_check] building mmcv ops in the background: {self.jobs} jobs', flush=True)
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=self.work,
            start_new_session=True)

    def wait(self, deadline: float) -> bool:
        """Wait for the build until ``deadline``; install it. True if mmcv.ops works."""
        if self.proc is None:
            return self.info['status'] == 'present'
        try:
            rc = self.proc.wait(timeout=max(1.0, deadline - time.time()))
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.info.update(
                status='timeout', build_s=time.time() - self.t0, log_tail=self._tail())
            self.proc = None
            return False
        self.proc = None
        self.log.close()
        self.info.update(build_s=time.time() - self.t0, returncode=rc)
        wheels = glob.glob(osp.join(self.work, 'mmcv_wheel', 'mmcv-*.whl'))
        if rc != 0 or not wheels:
            self.info.update(status='failed', log_tail=self._tail())
            return False
        whl = wheels[0]
        self.info.update(wheel=osp.basename(whl), wheel_bytes=osp.getsize(whl))
        t0 = time.time()
        proc = subprocess.run([
            sys.executable, '-m', 'pip', 'install', '-q', '--no-deps', '--no-index',
            '--no-cache-dir', '--upgrade', '--target', self.site, whl
        ],
                              capture_output=True,
                              text=True)
        self.info['install_s'] = time.time() - t0
        ok, err = mmcv_ops_importable()
        if proc.returncode != 0 or not ok:
            self.info.update(
                status='failed', import_error=err, log_tail=(proc.stdout + proc.stderr)[-2000:])
            return False
        self.info['status'] = 'built'
        if osp.getsize(whl) <= MAX_RETURNED_FILE:
            shutil.copy(whl, self.out)
            self.info['returned_as'] = osp.basename(whl)
        return True

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _tail(self) -> str:
        try:
            self.log.flush()
            with open(self.log_path) as f:
                return f.read()[-3000:]
        except OSError:
            return ''


# ---------------------------------------------------------------------------------- stages
def _stream(proc: subprocess.Popen, log) -> threading.Thread:

    def pump():
        for line in iter(proc.stdout.readline, ''):
            sys.stdout.write(line)
            sys.stdout.flush()
            log.write(line)
            log.flush()

    t = threading.Thread(target=pump, daemon=True)
    t.start()
    return t


def run_stage_process(name: str,
                      out_dir: str,
                      budget: float,
                      cpu: bool,
                      log,
                      grace: float = 20.0) -> dict:
    """Run one stage in a child process, killed ``grace`` seconds past its budget."""
    path = osp.join(out_dir, 'stages', f'{name}.json')
    os.makedirs(osp.dirname(path), exist_ok=True)
    deadline = time.time() + budget
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    env['PYTHONPATH'] = os.pathsep.join(
        [REPO] + [p for p in env.get('PYTHONPATH', '').split(os.pathsep) if p])
    if name == 'fixed-tiles':
        env['MMSTVG_AUTOTUNE'] = '0'
    if cpu:
        env['TRITON_INTERPRET'] = '1'
    cmd = [
        sys.executable,
        osp.abspath(__file__), '--run-stage', name, '--stage-out', path, '--deadline',
        repr(deadline)
    ] + (['--cpu'] if cpu else [])
    banner = f'\n[gpu_check] ===== stage {name} (limit {budget:.0f} s) =====\n'
    sys.stdout.write(banner)
    log.write(banner)
    t0 = time.time()
    proc = subprocess.Popen(
        cmd,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True)
    pump = _stream(proc, log)
    try:
        rc = proc.wait(timeout=budget + grace)
        status = 'ok' if rc == 0 else 'failed'
        reason = None if rc == 0 else f'exit code {rc}'
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        status, reason = 'timeout', f'killed {grace:.0f} s past its {budget:.0f} s limit'
    pump.join(timeout=5)
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        data = dict(results=[], skipped=[], errors=[], info={})
    if status == 'ok' and data['errors']:
        status = 'errors'
    if status == 'ok' and any(u.get('timed_out', True) for u in data['skipped']):
        status, reason = 'partial', 'stage time limit reached'
    data.update(status=status, reason=reason, wall_s=time.time() - t0, budget_s=budget)
    return data


# ---------------------------------------------------------------------------------- targets
def _ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
    return a / b if a and b else None


def compute_targets(stages: dict) -> List[dict]:
    """The issue's targets as rows: target, scope, measured, threshold, passed."""
    rows = []
    kern = stages.get('kernels', {})
    checks = [r for r in kern.get('results', []) if 'passed' in r]
    if checks:
        ok = sum(bool(r['passed']) for r in checks)
        rows.append(
            dict(
                target='kernels within tolerance of float64',
                scope='every check',
                measured=f'{ok}/{len(checks)}',
                threshold='all',
                passed=ok == len(checks)))
    att = stages.get('attention', {}).get('results', [])
    keyed = {(r['setting'], r['direction'], r['case'], r['impl']): r['ms'] for r in att}
    for (setting, direction, case, impl), ms in sorted(keyed.items()):
        if impl != 'fused' or not case.startswith('STCMT'):
            continue
        scope = f'{case} ({setting}, {direction})'
        for base, thr in (('naive', TARGET_FUSED_VS_NAIVE), ('sdpa', TARGET_FUSED_VS_SDPA)):
            speed = _ratio(keyed.get((setting, direction, case, base)), ms)
            if speed is not None:
                rows.append(
                    dict(
                        target=f'fused >= {thr}x {base}',
                        scope=scope,
                        measured=round(speed, 3),
                        threshold=thr,
                        passed=speed >= thr))
    for r in stages.get('model', {}).get('results', []):
        if r.get('model') != 'STVGFormer':
            continue
        scope = f'STVGFormer inference, attn_impl={r["impl"]}'
        rows.append(
            dict(
                target=f'< {TARGET_INFER_S} s/video',
                scope=scope,
                measured=round(r['infer_video_s'], 4),
                threshold=TARGET_INFER_S,
                passed=r['infer_video_s'] < TARGET_INFER_S))
        if r.get('infer_peak_mib') is not None:
            gb = r['infer_peak_mib'] * 2**20 / 1e9
            rows.append(
                dict(
                    target='< 28 GB peak memory',
                    scope=scope,
                    measured=round(gb, 2),
                    threshold=TARGET_INFER_BYTES / 1e9,
                    passed=gb * 1e9 < TARGET_INFER_BYTES))
    return rows


# ----------------------------------------------------------------------------------- report
def _fmt(v, nd=3) -> str:
    if v is None:
        return '-'
    if isinstance(v, bool):
        return 'yes' if v else 'no'
    if isinstance(v, float):
        return f'{v:.{nd}e}' if (v != 0 and (abs(v) < 1e-2 or abs(v) >= 1e5)) else f'{v:.{nd}f}'
    return str(v).replace('|', '/')


def _table(header: List[str], rows: List[List]) -> List[str]:
    lines = ['| ' + ' | '.join(header) + ' |', '| ' + ' | '.join('---' for _ in header) + ' |']
    lines += ['| ' + ' | '.join(_fmt(c) for c in r) + ' |' for r in rows]
    return lines + ['']


def render_markdown(report: dict, summary_only: bool = False) -> str:
    """The report in Markdown; ``summary_only``: the header, targets, stages and mmcv (what
    the console shows last)."""
    env = report['environment']
    out = ['# GPU verification report (.dev_scripts/gpu_check)', '']
    if report['dry_run']:
        out += [
            '**CPU dry run** (Triton interpreter, tiny sizes): checks that every stage runs; '
            'none of these numbers is a GPU figure.', ''
        ]
    out += [
        f'Device: {env.get("device", "?")}; torch {env.get("torch")}, triton '
        f'{env.get("triton")}, Python {env.get("python")}; wall time '
        f'{report["wall_s"]:.0f} s of a {report["budget_s"]:.0f} s budget; '
        f'{report["created"]}.', ''
    ]
    out += ['## Targets', '']
    out += _table(['target', 'scope', 'measured', 'threshold', 'result'], [[
        t['target'], t['scope'], t['measured'], t['threshold'], 'PASS' if t['passed'] else 'FAIL'
    ] for t in report['targets']])
    out += ['## Stages', '']
    out += _table([
        'stage', 'status', 'wall s', 'limit s', 'units', 'skipped', 'errors', 'during mmcv build',
        'note'
    ], [[
        n, s['status'],
        round(s.get('wall_s', 0), 1),
        s.get('budget_s'),
        len(s.get('results', [])),
        len(s.get('skipped', [])),
        len(s.get('errors', [])),
        s.get('overlapped_mmcv_build', False),
        s.get('reason') or ''
    ] for n, s in report['stages'].items()])
    mm = report['mmcv']
    out += [
        '## mmcv', '', '; '.join(f'{k}: {_fmt(mm[k], 1) if isinstance(mm[k], float) else mm[k]}'
                                 for k in ('status', 'build_s', 'jobs', 'wheel', 'wheel_bytes',
                                           'install_s', 'returned_as', 'note', 'import_error')
                                 if k in mm), ''
    ]
    if summary_only:
        return '\n'.join(out)
    st = report['stages']
    kern = [r for r in st.get('kernels', {}).get('results', []) if 'fwd_rel_err' in r]
    if kern:
        out += ['## Kernel correctness (relative error vs float64)', '']
        rows = []
        for r in kern:
            grads = [v for k, v in r.items() if k.endswith('_rel_err') and k[0] == 'd']
            rows.append([
                r['dtype'], r['op'], r['name'], 'x'.join(map(str, r['shape'])),
                r.get('tiles'), r['fwd_rel_err'],
                r.get('weights_rel_err'),
                max(grads) if grads else None, f'{r["tol_fwd"]:g} / {r["tol_bwd"]:g}',
                'PASS' if r['passed'] else 'FAIL'
            ])
        out += _table([
            'dtype', 'op', 'case', 'shape', 'tiles', 'fwd', 'weights', 'grad (max)',
            'tol fwd / bwd', 'result'
        ], rows)
    other = [r for r in st.get('kernels', {}).get('results', []) if 'summary' in r]
    for r in other:
        out += [f'`{r["unit"]}`: {r["summary"]} (exit {r["returncode"]})', '']
    att = st.get('attention', {}).get('results', [])
    if att:
        out += ['## Attention kernels (benchmark_attention.py)', '']
        for key in sorted({(r['setting'], r['direction'], r['dtype']) for r in att}):
            rows_k = [r for r in att if (r['setting'], r['direction'], r['dtype']) == key]
            roof = rows_k[0]['roofline']
            out += [
                f'{key[0]} setting, {key[1]}, {key[2]}; roofline measured: '
                f'{roof["matmul_flops"] / 1e12:.1f} TFLOP/s, '
                f'{roof["copy_bytes_per_s"] / 1e9:.0f} GB/s', ''
            ]
            naive = {r['case']: r['ms'] for r in rows_k if r['impl'] == 'naive'}
            sdpa = {r['case']: r['ms'] for r in rows_k if r['impl'] == 'sdpa'}
            out += _table([
                'attention', 'impl', 'ms', 'x naive', 'x sdpa', 'peak MiB', '% FLOP roof',
                '% BW roof'
            ], [[
                r['case'], r['impl'], r['ms'],
                _ratio(naive.get(r['case']), r['ms']),
                _ratio(sdpa.get(r['case']),
                       r['ms']), None if r['peak_bytes'] is None else r['peak_bytes'] / 2**20,
                100 * r['flops_per_s'] / roof['matmul_flops'],
                100 * r['bytes_per_s'] / roof['copy_bytes_per_s']
            ] for r in rows_k])
    fixed = st.get('fixed-tiles', {}).get('results', [])
    if fixed and att:
        tuned = {
            (r['setting'], r['direction'], r['case']): r['ms']
            for r in att if r['impl'] == 'fused'
        }
        out += ['## Autotuned vs fixed tiles (fused)', '']
        out += _table(['setting', 'case', 'autotuned ms', 'fixed ms', 'autotune speed-up'], [[
            f'{r["setting"]} {r["direction"]}', r['case'],
            tuned.get((r['setting'], r['direction'], r['case'])), r['ms'],
            _ratio(r['ms'], tuned.get((r['setting'], r['direction'], r['case'])))
        ] for r in fixed])
    models = st.get('model', {}).get('results', [])
    if models:
        out += ['## Models (benchmark_model.py)', '']
        out += _table([
            'model', 'attn_impl', 'params M', 'train s/iter', 'train peak MiB', 'infer s/video',
            'infer peak MiB', 'settings'
        ], [[
            r['model'], r['impl'], r['params'] / 1e6, r['train_iter_s'],
            r.get('train_peak_mib'), r['infer_video_s'],
            r.get('infer_peak_mib'),
            _model_settings(r['settings'])
        ] for r in models])
    notes = [
        f'- {n}: skipped {s["unit"]}: {s["reason"]}' for n, d in st.items()
        for s in d.get('skipped', [])
    ]
    notes += [
        f'- {n}: error in {e["unit"]}: {e["error"]}' for n, d in st.items()
        for e in d.get('errors', [])
    ]
    if notes:
        out += ['## Skipped units and errors', ''] + notes + ['']
    return '\n'.join(out)


def _model_settings(s: dict) -> str:
    return (f'{s.get("amp")} AMP, B={s.get("batch_size")}, train T={s.get("train_frames")} '
            f'{s.get("img_size")}, test T={s.get("test_frames")} x {s.get("test_passes", 1)} '
            f'passes {s.get("test_img_size")}')


# ------------------------------------------------------------------------------------- main
def _skipped_stage(reason: str) -> dict:
    """The report entry of a stage that did not run."""
    return dict(
        status='skipped', reason=reason, results=[], skipped=[], errors=[], budget_s=0, wall_s=0)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument(
        '--out',
        default=os.environ.get('OUT') or osp.join(REPO, 'work_dirs', 'gpu_check'),
        help='report folder (default: $OUT, else work_dirs/gpu_check)')
    p.add_argument(
        '--cpu',
        action='store_true',
        help='dry run on CPU: tiny sizes, Triton interpreter, same report')
    p.add_argument('--stages', nargs='+', choices=STAGES, default=list(STAGES))
    p.add_argument(
        '--budget',
        type=float,
        help='seconds for the whole kit (default 450 on '
        'a GPU; 900 on CPU, where the limits are only a safety net); a stage gets '
        'min(its limit, what is left)')
    p.add_argument(
        '--wheels',
        default=osp.join(REPO, '.whl'),
        help='carried wheels and the mmcv sdist (prepare_wheels.sh)')
    p.add_argument(
        '--site',
        default=os.environ.get('GPU_CHECK_SITE'),
        help='folder on PYTHONPATH the carried wheels were installed into (run.sh)')
    p.add_argument(
        '--jobs',
        type=int,
        default=max(2, (os.cpu_count() or 4) - 2),
        help='compile jobs of the mmcv build (it overlaps the GPU stages)')
    p.add_argument('--run-stage', help=argparse.SUPPRESS)
    p.add_argument('--stage-out', help=argparse.SUPPRESS)
    p.add_argument('--deadline', type=float, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.run_stage:  # child process of one stage
        from stages import run_stage  # the kit's folder is sys.path[0] of this script
        sys.exit(run_stage(args.run_stage, args.stage_out, args.deadline, args.cpu))
    t_start = time.time()
    budget = args.budget or (900.0 if args.cpu else 450.0)
    out = osp.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    work = osp.join(out, 'stages')
    os.makedirs(work, exist_ok=True)
    log = open(osp.join(out, 'gpu_check.log'), 'w')
    mmcv = MMCVBuild(args.wheels, args.site,
                     osp.join('/tmp' if not args.cpu else work, 'gpu_check_mmcv'), out, args.jobs)
    if 'model' in args.stages:
        mmcv.start()
    stages = {}
    for name in STAGES:
        if name not in args.stages:
            continue
        left = t_start + budget - time.time()
        if name == 'model':
            ok = mmcv.wait(t_start + budget - 30)
            left = t_start + budget - time.time()
            if not ok:
                stages[name] = _skipped_stage(f'mmcv.ops unavailable ({mmcv.info.get("status")})')
                continue
        limit = min(BUDGETS[name][1 if args.cpu else 0], left)
        if limit < 10:
            stages[name] = _skipped_stage('kit time budget exhausted')
            continue
        building = mmcv.running()
        stages[name] = run_stage_process(name, out, limit, args.cpu, log)
        # CPU timing noise: the compile jobs leave 2 CPUs free while they run
        stages[name]['overlapped_mmcv_build'] = building or mmcv.running()
    if mmcv.proc is not None:  # model stage not run: do not leave the build behind
        os.killpg(mmcv.proc.pid, signal.SIGKILL)
        mmcv.info['status'] = 'abandoned'
    env_info = stages.get('env', {}).get('info', {})
    report = dict(
        schema=SCHEMA,
        dry_run=args.cpu,
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
        wall_s=time.time() - t_start,
        budget_s=budget,
        environment=env_info,
        mmcv=mmcv.info,
        stages=stages,
        targets=compute_targets(stages))
    report['summary'] = dict(
        targets_passed=sum(t['passed'] for t in report['targets']),
        targets_failed=sum(not t['passed'] for t in report['targets']),
        stages_ok=[n for n, s in stages.items() if s['status'] == 'ok'],
        stages_not_ok={
            n: s['status']
            for n, s in stages.items() if s['status'] != 'ok'
        })
    with open(osp.join(out, 'report.json'), 'w') as f:
        json.dump(report, f, indent=1, default=str)
    md = render_markdown(report)
    with open(osp.join(out, 'report.md'), 'w') as f:
        f.write(md)
    log.close()
    if not args.cpu:  # all in report.json; the device tool returns at most 8 files
        shutil.rmtree(work, ignore_errors=True)
    # last on the console (the device tool returns the output's tail): the summary
    print('\n' + render_markdown(report, summary_only=True))
    print(f'[gpu_check] full report: {osp.join(out, "report.md")} and report.json')
    return report


if __name__ == '__main__':
    main()
