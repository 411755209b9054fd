"""Train and test every synthetic-benchmark config at one budget and write one comparison
table (``docs/model_zoo/synthetic_benchmark.md``).

    python tools/analysis_tools/benchmark_suite.py                 # the configs' own 8 epochs
    python tools/analysis_tools/benchmark_suite.py --epochs 2 \
        --out docs/model_zoo/synthetic_benchmark.md               # a shorter, equal budget
    # GKCMN, its five Table 3 ablations and BM (not the 2D-TAN head swap), 2 seeds each, on
    # the 1,000-query test split
    python tools/analysis_tools/benchmark_suite.py --only gkcmn_r3d18-tiny_1xb8 \
        gkcmn_r3d18-tiny-wo- bm_r3d18 --seeds 0 1 --epochs 8 \
        --work-dir work_dirs/benchmark_gkcmn --out work_dirs/benchmark_gkcmn/table.md

Every ``configs/*/*_synth.py`` is run (the trivial predictor is only tested; a config that
reads extracted features, ``LoadSTVGFeatures``, only when ``--only`` names it: its features
must be extracted first, configs/gkcmn/README.md): ``tools/train.py``
then ``tools/test.py`` on the final checkpoint, in separate processes, one after the other,
with the same data and schedule length, once per seed of ``--seeds`` (``randomness.seed``;
default: the configs' own seed). ``--epochs`` rescales the shared schedule (warm-up kept,
cosine decay to the new end). Training validates on the configs' val split as usual; the
table scores ``--test-split``: ``test`` (default) is ``anno_v2/test_v2.json`` of the data root
(``tools/data/synthetic/generate.py --num-test 1000``: a larger split, so that the table does
not move by several points with the generator's seed as the 200-query val split does), ``val``
the configs' own test split (= val). A config with a ``motion_pretrain`` checkpoint that is not
there yet gets it first (``tools/misc/pretrain_motion_encoder.py``, its log ``pretrain.log``,
its time ``pretrain_s`` in the row; later runs reuse the file). One row per (config, seed) is
appended to ``WORK_DIR/results.json`` as it comes (``--skip-existing`` reuses rows of the same
config, seed, split and epochs; ``--report-only`` runs nothing and writes the table from the
rows there, listing the runs still missing), then the Markdown table gives, per config, the
mean and the sample standard deviation (n - 1 in the denominator) over the seeds, with n,
followed by the per-seed rows, the command, the machine and the wall-clock times.
"""
import argparse
import copy
import glob
import os
import os.path as osp
import platform
import re
import statistics
import subprocess
import sys
import time
from typing import Dict, List, Optional

import mmengine
from mmengine.config import Config
from mmengine.utils import mkdir_or_exist

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
METRICS = ('m_tIoU', 'm_vIoU', 'vIoU@0.3', 'vIoU@0.5')
TEST_ANN_FILE = 'anno_v2/test_v2.json'


def reads_features(config: str) -> bool:
    """Whether ``config`` (relative to the repository) reads precomputed features."""
    cfg = Config.fromfile(osp.join(REPO, config))
    return any(
        str(t.get('type', '')).endswith('LoadSTVGFeatures')
        for name in ('train_dataloader', 'test_dataloader') if cfg.get(name)
        for t in cfg[name].dataset.get('pipeline', []))


def suite_configs(with_features: bool = False) -> List[str]:
    """Every synthetic config, baselines first; those that read extracted features only
    ``with_features``."""
    paths = sorted(glob.glob(osp.join(REPO, 'configs', '*', '*_synth.py')))
    if not with_features:
        paths = [p for p in paths if not reads_features(osp.relpath(p, REPO))]
    order = {'baselines': 0, 'stvgformer': 1, 'gkcmn': 2}
    return sorted((osp.relpath(p, REPO) for p in paths),
                  key=lambda p: (order.get(p.split(os.sep)[1], 9), p))


def set_epochs(cfg: Config, epochs: int) -> None:
    """Rescale the schedule to ``epochs`` (max/val interval, scheduler ends); checkpoints
    stay the config's (every epoch, the last ones kept), so an interrupted run resumes."""
    old = cfg.train_cfg.max_epochs
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_interval = epochs
    for sched in cfg.get('param_scheduler', []):
        if sched.get('end') == old:
            sched['end'] = epochs
        if sched.get('T_max') == old:
            sched['T_max'] = epochs


def parse_test_metrics(log: str) -> Dict[str, float]:
    """The metrics of mmengine's last ``Epoch(test)`` line."""
    lines = [ln for ln in log.splitlines() if 'Epoch(test)' in ln and 'm_vIoU' in ln]
    if not lines:
        raise RuntimeError('no test metrics in the output:\n' + log[-2000:])
    return {
        k: float(v)
        for k, v in re.findall(r'(m_tIoU|m_vIoU|vIoU@[\d.]+): ([\d.]+)', lines[-1])
    }


def run(cmd: List[str], log_file: str) -> str:
    env = dict(os.environ, PYTHONPATH=REPO)
    proc = subprocess.run([sys.executable, *cmd],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True)
    with open(log_file, 'w') as f:
        f.write(proc.stdout + proc.stderr)
    if proc.returncode:
        raise RuntimeError(f'{" ".join(cmd)} failed (log: {log_file}):\n' +
                           (proc.stdout + proc.stderr)[-3000:])
    return proc.stdout + proc.stderr


def use_test_split(cfg: Config) -> str:
    """Point ``cfg``'s test loader (not its val loader) at the synthetic test split with
    ground truth; returns the annotation file."""
    loader = copy.deepcopy(cfg.test_dataloader)  # configs alias it to the val loader
    loader.dataset.ann_file = TEST_ANN_FILE
    ann = osp.join(loader.dataset.data_root, TEST_ANN_FILE)
    if not osp.isfile(osp.join(REPO, ann)) and not osp.isfile(ann):
        raise FileNotFoundError(
            f'no synthetic test split {ann}: generate it with tools/data/synthetic/'
            'generate.py --num-test 1000 (same --out-dir and other parameters), or pass '
            '--test-split val')
    cfg.test_dataloader = loader
    return ann


def missing_motion_pretrain(cfg: Config) -> Optional[str]:
    """The checkpoint ``cfg``'s ``motion_pretrain`` names when it is not there yet (the
    config's motion branch starts from it: tools/misc/pretrain_motion_encoder.py writes it);
    None when there is nothing to pre-train."""
    out = (cfg.get('motion_pretrain') or {}).get('out')
    if not out or osp.isfile(osp.join(REPO, out)):
        return None
    return out


def run_one(config: str,
            work_root: str,
            epochs: Optional[int],
            data_root: Optional[str],
            seed: int = 0,
            split: str = 'test') -> dict:
    """Train (if the config trains) and test ``config`` with ``randomness.seed = seed``,
    scored on ``split``; returns the row (metrics in [0, 1], times in seconds)."""
    name = osp.splitext(osp.basename(config))[0]
    cfg = Config.fromfile(osp.join(REPO, config))
    if data_root:  # every path under the configs' data root, tokenizer included
        from mmstvg.utils.data_root import move_data_root
        move_data_root(cfg, data_root)
    cfg.randomness = dict(cfg.get('randomness', {}), seed=seed)
    work = osp.join(work_root, name, f'seed{seed}')
    mkdir_or_exist(work)
    trains = cfg.get('train_dataloader') is not None
    if trains and epochs:
        set_epochs(cfg, epochs)
    ann = use_test_split(cfg) if split == 'test' else cfg.test_dataloader.dataset.ann_file
    cfg_file = osp.join(work, f'{name}.py')
    cfg.dump(cfg_file)
    row = dict(
        config=config,
        name=name,
        seed=seed,
        split=split,
        ann_file=ann,
        epochs=cfg.train_cfg.max_epochs if trains else 0)
    ckpt = []
    if trains and missing_motion_pretrain(cfg):
        t0 = time.time()
        run(['tools/misc/pretrain_motion_encoder.py', cfg_file], osp.join(work, 'pretrain.log'))
        row['pretrain_s'] = time.time() - t0
    if trains:
        t0 = time.time()
        run(['tools/train.py', cfg_file, '--work-dir', work], osp.join(work, 'train.log'))
        row['train_s'] = time.time() - t0
        ckpt = [osp.join(work, f'epoch_{row["epochs"]}.pth')]
    t0 = time.time()
    out = run(['tools/test.py', cfg_file, *ckpt, '--work-dir',
               osp.join(work, 'test')], osp.join(work, 'test.log'))
    row['test_s'] = time.time() - t0
    row.update(parse_test_metrics(out))
    return row


def row_key(row: dict) -> tuple:
    """Rows of the same config, seed, split and budget are the same run (rows written before
    seeds and splits were recorded: seed 0, the val split)."""
    return (row['config'], row.get('seed', 0), row.get('split', 'val'), row.get('epochs'))


def aggregate(rows: List[dict]) -> List[dict]:
    """One entry per config (first-seen order): ``n`` and, per metric and time, the mean and
    the sample standard deviation over its rows (None for n = 1)."""
    groups: Dict[str, List[dict]] = {}
    for r in rows:
        groups.setdefault(r['config'], []).append(r)
    out = []
    for config, runs in groups.items():
        entry = dict(
            config=config,
            name=runs[0]['name'],
            epochs=runs[0]['epochs'],
            n=len(runs),
            seeds=[r.get('seed') for r in runs])
        for k in (*METRICS, 'train_s', 'test_s'):
            vals = [r[k] for r in runs if r.get(k) is not None]
            if vals:
                entry[k] = statistics.mean(vals)
                entry[k + '_std'] = statistics.stdev(vals) if len(vals) > 1 else None
        out.append(entry)
    return out


def render(rows: List[dict],
           command: str,
           epochs: Optional[int] = None,
           missing: Optional[List[tuple]] = None) -> str:
    """The Markdown report; ``missing``: the (name, seed) runs of the command that have no
    row yet (``--report-only``), listed after the table so that n < seeds is explained."""

    def minutes(s):
        return '-' if s is None else f'{s / 60:.1f}'

    def cell(entry, k):
        if k not in entry:
            return '-'
        std = entry.get(k + '_std')
        return f'{100 * entry[k]:.1f}' + ('' if std is None else f' ± {100 * std:.1f}')

    splits = sorted({r.get('ann_file') or r.get('split', 'val') for r in rows})
    lines = [
        '# Synthetic benchmark: every model and ablation at one budget', '',
        f'Produced by `{command}` on {platform.node() or "?"} '
        f'({os.cpu_count()} CPU cores), {time.strftime("%Y-%m-%d")}; scored on '
        f'{", ".join(f"`{s}`" for s in splits)}, protocol of the configs (`dense`), metrics in '
        '%. Each row: the mean ± the sample standard deviation (n - 1 in the denominator) '
        'over its n seeds (a single value when n = 1); per-seed rows follow. Rows already in '
        '`WORK_DIR/results.json` are reused by `--skip-existing`.', ''
    ]
    if epochs:
        lines += [
            f'Every schedule is cut to {epochs} epoch(s); the configs\' own schedules may be '
            'longer. A gap between two variants smaller than their spread is not evidence '
            'that one is better. Results of the main models at their full schedules are in '
            'the models page, generated from the metafiles.', ''
        ]
    lines += [
        '| config | epochs | n | ' + ' | '.join(METRICS) + ' | train min | test min |',
        '|---|---|---|' + '---|' * len(METRICS) + '---|---|'
    ]
    for e in aggregate(rows):
        vals = ' | '.join(cell(e, k) for k in METRICS)
        lines.append(f'| `{e["name"]}` | {e["epochs"] or "-"} | {e["n"]} | {vals} | '
                     f'{minutes(e.get("train_s"))} | {minutes(e.get("test_s"))} |')
    lines += [
        '', 'Per seed:', '',
        '| config | seed | ' + ' | '.join(METRICS) + ' | train min | test min |',
        '|---|---|' + '---|' * len(METRICS) + '---|---|'
    ]
    for r in rows:
        vals = ' | '.join(f'{100 * r[k]:.1f}' if k in r else '-' for k in METRICS)
        lines.append(f'| `{r["name"]}` | {r.get("seed", "-")} | {vals} | '
                     f'{minutes(r.get("train_s"))} | {minutes(r.get("test_s"))} |')
    if missing:
        lines += [
            '', 'Not run yet (the command selects them; no row in `results.json`): ' +
            ', '.join(f'`{name}` seed {seed}' for name, seed in missing) + '.'
        ]
    return '\n'.join(lines) + '\n'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/benchmark_suite')
    parser.add_argument(
        '--data-root', help='synthetic benchmark (default: the configs\' '
        'data/synth_stvg)')
    parser.add_argument('--epochs', type=int, help='override every schedule\'s length')
    parser.add_argument(
        '--only',
        nargs='+',
        help='run only configs whose path contains one '
        'of these strings (e.g. configs/gkcmn/)')
    parser.add_argument(
        '--seeds',
        type=int,
        nargs='+',
        help='train and test every config once per seed (randomness.seed); '
        'default: the configs\' own seed')
    parser.add_argument(
        '--test-split',
        choices=('test', 'val'),
        default='test',
        help=f'split the table scores: test = {TEST_ANN_FILE} of the data '
        'root (default), val = the configs\' own test split')
    parser.add_argument(
        '--skip-existing',
        action='store_true',
        help='reuse the rows already in WORK_DIR/results.json')
    parser.add_argument(
        '--report-only',
        action='store_true',
        help='run nothing: write the table from the rows already in WORK_DIR/results.json; '
        'the selected (config, seed) runs that have no row yet are listed under it')
    parser.add_argument('--out', default='docs/model_zoo/synthetic_benchmark.md')
    args = parser.parse_args(argv)
    mkdir_or_exist(args.work_dir)
    results_file = osp.join(args.work_dir, 'results.json')
    done = {}
    if (args.skip_existing or args.report_only) and osp.isfile(results_file):
        done = {row_key(r): r for r in mmengine.load(results_file)}
    configs = [
        c for c in suite_configs(with_features=bool(args.only))
        if not args.only or any(s in c for s in args.only)
    ]
    rows, missing = [], []
    for config in configs:
        cfg = Config.fromfile(osp.join(REPO, config))
        trains = cfg.get('train_dataloader') is not None
        own_seed = cfg.get('randomness', {}).get('seed', 0)
        # a config that does not train gives the same result for every seed: run it once
        for seed in (args.seeds or [own_seed])[:None if trains else 1]:
            cached = [
                r for k, r in done.items() if k[:3] == (config, seed, args.test_split) and (
                    not trains or not args.epochs or k[3] == args.epochs)
            ]
            if cached:
                rows.append(cached[0])
                continue
            if args.report_only:
                missing.append((osp.splitext(osp.basename(config))[0], seed))
                continue
            print(f'[benchmark_suite] {config} seed={seed}', flush=True)
            row = run_one(config, args.work_dir, args.epochs, args.data_root, seed,
                          args.test_split)
            rows.append(row)
            # every row known so far, including reused ones not reached yet: an interrupted
            # invocation must not drop rows from the file
            done[row_key(row)] = row
            mmengine.dump(list(done.values()), results_file, indent=2)
    # --skip-existing and --report-only change which rows are recomputed, not their values:
    # leave them out of the recorded command
    command = 'python tools/analysis_tools/benchmark_suite.py' + ''.join(
        f' {a}' for a in (argv if argv is not None else sys.argv[1:])
        if a not in ('--skip-existing', '--report-only'))
    table = render(rows, command, args.epochs, missing)
    if args.out:
        mkdir_or_exist(osp.dirname(osp.abspath(args.out)))
        with open(args.out, 'w') as f:
            f.write(table)
    print(table)
    return rows


if __name__ == '__main__':
    main()
