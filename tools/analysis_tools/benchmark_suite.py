"""Train and test every synthetic-benchmark config at one budget and write one comparison
table (``docs/model_zoo/synthetic_benchmark.md``).

    python tools/analysis_tools/benchmark_suite.py                 # the configs' own 8 epochs
    python tools/analysis_tools/benchmark_suite.py --epochs 2 \
        --out docs/model_zoo/synthetic_benchmark.md               # a shorter, equal budget

Every ``configs/*/*_synth.py`` is run (the trivial predictor is only tested): ``tools/train.py``
then ``tools/test.py`` on the final checkpoint, in separate processes, one after the other,
with the same data, schedule length and seed. ``--epochs`` rescales the shared schedule
(warm-up kept, cosine decay to the new end). Results are appended to
``WORK_DIR/results.json`` as they come (``--skip-existing`` reuses them), then rendered as a
Markdown table with the command, the machine and the wall-clock times.
"""
import argparse
import glob
import json
import os
import os.path as osp
import platform
import re
import subprocess
import sys
import time
from typing import Dict, List, Optional

from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
METRICS = ('m_tIoU', 'm_vIoU', 'vIoU@0.3', 'vIoU@0.5')


def suite_configs() -> List[str]:
    """Every synthetic config, baselines first."""
    paths = sorted(glob.glob(osp.join(REPO, 'configs', '*', '*_synth.py')))
    order = {'baselines': 0, 'stvgformer': 1, 'gkcmn': 2}
    return sorted((osp.relpath(p, REPO) for p in paths),
                  key=lambda p: (order.get(p.split(os.sep)[1], 9), p))


def set_epochs(cfg: Config, epochs: int) -> None:
    """Rescale the schedule to ``epochs`` (max/val interval, scheduler ends, checkpoint)."""
    old = cfg.train_cfg.max_epochs
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_interval = epochs
    for sched in cfg.get('param_scheduler', []):
        if sched.get('end') == old:
            sched['end'] = epochs
        if sched.get('T_max') == old:
            sched['T_max'] = epochs
    if cfg.default_hooks.get('checkpoint'):
        cfg.default_hooks.checkpoint.interval = epochs


def parse_test_metrics(log: str) -> Dict[str, float]:
    """The metrics of mmengine's last ``Epoch(test)`` line."""
    lines = [ln for ln in log.splitlines() if 'Epoch(test)' in ln and 'm_vIoU' in ln]
    if not lines:
        raise RuntimeError('no test metrics in the output:\n' + log[-2000:])
    return {k: float(v) for k, v in re.findall(r'(m_tIoU|m_vIoU|vIoU@[\d.]+): ([\d.]+)',
                                               lines[-1])}


def run(cmd: List[str], log_file: str) -> str:
    env = dict(os.environ, PYTHONPATH=REPO)
    proc = subprocess.run([sys.executable, *cmd], cwd=REPO, env=env, capture_output=True,
                          text=True)
    with open(log_file, 'w') as f:
        f.write(proc.stdout + proc.stderr)
    if proc.returncode:
        raise RuntimeError(f'{" ".join(cmd)} failed (log: {log_file}):\n'
                           + (proc.stdout + proc.stderr)[-3000:])
    return proc.stdout + proc.stderr


def run_one(config: str, work_root: str, epochs: Optional[int],
            data_root: Optional[str]) -> dict:
    name = osp.splitext(osp.basename(config))[0]
    work = osp.join(work_root, name)
    os.makedirs(work, exist_ok=True)
    cfg = Config.fromfile(osp.join(REPO, config))
    if data_root:
        from mmstvg.testing import set_synthetic_data_root
        set_synthetic_data_root(cfg, data_root)
    trains = cfg.get('train_dataloader') is not None
    if trains and epochs:
        set_epochs(cfg, epochs)
    cfg_file = osp.join(work, f'{name}.py')
    cfg.dump(cfg_file)
    row = dict(config=config, name=name, epochs=cfg.train_cfg.max_epochs if trains else 0)
    ckpt = []
    if trains:
        t0 = time.time()
        run(['tools/train.py', cfg_file, '--work-dir', work], osp.join(work, 'train.log'))
        row['train_s'] = time.time() - t0
        ckpt = [osp.join(work, f'epoch_{row["epochs"]}.pth')]
    t0 = time.time()
    out = run(['tools/test.py', cfg_file, *ckpt, '--work-dir', osp.join(work, 'test')],
              osp.join(work, 'test.log'))
    row['test_s'] = time.time() - t0
    row.update(parse_test_metrics(out))
    return row


def render(rows: List[dict], command: str, epochs: Optional[int] = None) -> str:
    def minutes(s):
        return '-' if s is None else f'{s / 60:.1f}'
    lines = [
        '# Synthetic benchmark: every model and ablation at one budget', '',
        f'Produced by `{command}` on {platform.node() or "?"} '
        f'({os.cpu_count()} CPU cores), {time.strftime("%Y-%m-%d")}; validation split, '
        'protocol of the configs (`dense`), metrics in %. Rows already in '
        '`WORK_DIR/results.json` are reused by `--skip-existing`.', '']
    if epochs:
        lines += [
            f'Every schedule is cut to {epochs} epoch(s) so that the whole suite fits in a few '
            'CPU hours; the configs\' own schedules are longer. One seed, one run per row: at '
            'this budget a gap of a few points between two variants is not evidence that one '
            'is better (rerun with a larger `--epochs` to compare). Results of the main models '
            'at their full schedules are in the models page, generated from the metafiles.', '']
    lines += [
        '| config | epochs | ' + ' | '.join(METRICS) + ' | train min | test min |',
        '|---|---|' + '---|' * len(METRICS) + '---|---|']
    for r in rows:
        vals = ' | '.join(f'{100 * r[k]:.1f}' if k in r else '-' for k in METRICS)
        lines.append(f'| `{r["name"]}` | {r["epochs"] or "-"} | {vals} | '
                     f'{minutes(r.get("train_s"))} | {minutes(r.get("test_s"))} |')
    return '\n'.join(lines) + '\n'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/benchmark_suite')
    parser.add_argument('--data-root', help='synthetic benchmark (default: the configs\' '
                        'data/synth_stvg)')
    parser.add_argument('--epochs', type=int, help='override every schedule\'s length')
    parser.add_argument('--only', nargs='+', help='run only configs whose name contains one '
                        'of these strings')
    parser.add_argument('--skip-existing', action='store_true',
                        help='reuse the rows already in WORK_DIR/results.json')
    parser.add_argument('--out', default='docs/model_zoo/synthetic_benchmark.md')
    args = parser.parse_args(argv)
    os.makedirs(args.work_dir, exist_ok=True)
    results_file = osp.join(args.work_dir, 'results.json')
    done = {}
    if args.skip_existing and osp.isfile(results_file):
        done = {r['config']: r for r in json.load(open(results_file))}
    configs = [c for c in suite_configs()
               if not args.only or any(s in c for s in args.only)]
    rows = []
    for config in configs:
        if config in done:
            rows.append(done[config])
            continue
        print(f'[benchmark_suite] {config}', flush=True)
        row = run_one(config, args.work_dir, args.epochs, args.data_root)
        rows.append(row)
        # every row known so far, including reused ones not reached yet: an interrupted
        # invocation must not drop rows from the file
        done[config] = row
        with open(results_file, 'w') as f:
            json.dump(list(done.values()), f, indent=2)
    # --skip-existing changes which rows are recomputed, not their values: leave it out of
    # the recorded command
    command = 'python tools/analysis_tools/benchmark_suite.py' + ''.join(
        f' {a}' for a in (argv if argv is not None else sys.argv[1:]) if a != '--skip-existing')
    table = render(rows, command, args.epochs)
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            f.write(table)
    print(table)
    return rows


if __name__ == '__main__':
    main()
