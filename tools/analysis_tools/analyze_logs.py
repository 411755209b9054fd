"""Plot training curves from mmengine's JSON logs, or summarise the iteration time.

    python tools/analysis_tools/analyze_logs.py plot_curve \
        work_dirs/x/20261128_101010/vis_data/scalars.json [more.json ...] \
        --keys loss loss_bbox m_vIoU --out curves.png [--legend run1 run2]
    python tools/analysis_tools/analyze_logs.py cal_train_time work_dirs/x/*/vis_data/scalars.json

The logs are the ``vis_data/scalars.json`` files mmengine's ``LocalVisBackend`` writes (one
JSON object per logged step: training losses, ``lr``, ``time`` ... keyed by ``step`` = the
iteration; validation metrics keyed by ``step`` = the epoch for epoch-based loops). Training
keys are plotted against the iteration, metrics (keys absent from training lines) against
their own step, one panel per key, and the x axis says which: "iteration", or "epoch" for
the metrics of a log whose training lines carry an ``epoch`` (mmengine's ``LogProcessor``
with ``by_epoch=True``; its ``LoggerHook`` then logs the metrics at the epoch), else
"iteration" (an iteration-based schedule, ``log_metric_by_epoch=False``).
"""
import argparse
import json
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Tuple

import numpy as np
from mmengine.utils import mkdir_or_exist


def load_log(path: str) -> Dict[str, List[tuple]]:
    """``{key: [(step, value), ...]}`` of one ``scalars.json`` (see :func:`read_log`)."""
    return read_log(path)[0]


def read_log(path: str) -> Tuple[Dict[str, List[tuple]], Dict[str, str]]:
    """``({key: [(step, value), ...]}, {key: 'iteration' | 'epoch'})`` of one
    ``scalars.json``: the curves and what the step of each key counts (module docstring).

    Hand-written, not mmdet's / mmaction2's ``load_json_logs``: theirs lives in a tool script
    (``.mim/tools/analysis_tools/analyze_logs.py``), not in an importable API, groups every
    value by epoch (an iteration-based schedule, or a metric logged with its own step, loses
    its x axis) and stops on a bad line with a bare ``JSONDecodeError``. Here training values
    keep their iteration, metrics their own step, and a bad line names the file and line.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'log file {path} does not exist')
    curves = defaultdict(list)
    training_keys, by_epoch = set(), False
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f'{path}, line {n}: not JSON ({e})') from e
            step = rec.get('step', rec.get('iter'))
            training = 'lr' in rec  # evaluation records carry their own time/data_time
            if training:
                by_epoch = by_epoch or 'epoch' in rec
            for key, value in rec.items():
                if key in ('step', 'iter', 'epoch') or not isinstance(value, (int, float)):
                    continue
                if not training and key in ('time', 'data_time'):
                    continue
                curves[key].append((step, float(value)))
                if training:
                    training_keys.add(key)
    metric_axis = 'epoch' if by_epoch else 'iteration'
    axes = {key: 'iteration' if key in training_keys else metric_axis for key in curves}
    return dict(curves), axes


def x_label(key: str, axes: List[Dict[str, str]]) -> str:
    """The x-axis label of ``key``'s panel: what its step counts in the logs (their
    ``read_log`` axes) that have it; logs that disagree give ``'epoch / iteration'``."""
    kinds = sorted({a[key] for a in axes if key in a})
    return ' / '.join(kinds) or 'step'


def curve_figure(logs: List[str], keys: List[str], legend=None, title=None):
    """The matplotlib figure of :func:`plot_curve`: one panel per key, its x axis labelled
    with what the step counts (:func:`x_label`)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    legend = legend or [osp.basename(osp.dirname(osp.dirname(p))) or p for p in logs]
    if len(legend) != len(logs):
        raise ValueError(f'{len(legend)} legend entries for {len(logs)} logs')
    read = [read_log(p) for p in logs]
    data, axes_of = [d for d, _ in read], [a for _, a in read]
    for key in keys:
        if not any(key in d for d in data):
            raise KeyError(f'key {key!r} is in none of the logs (available: '
                           f'{sorted(set().union(*data))})')
    fig, axes = plt.subplots(len(keys), 1, figsize=(7, 2.6 * len(keys)), squeeze=False)
    for ax, key in zip(axes[:, 0], keys):
        for d, name in zip(data, legend):
            if key in d:
                steps, values = zip(*d[key])
                ax.plot(steps, values, marker='o' if len(steps) < 20 else None, label=name)
        ax.set_ylabel(key)
        ax.set_xlabel(x_label(key, axes_of))
        ax.grid(alpha=0.3)
        ax.legend(fontsize='small')
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_curve(logs: List[str], keys: List[str], out: str, legend=None, title=None) -> str:
    """Plot ``keys`` of the ``logs`` to the image ``out`` (one panel per key)."""
    import matplotlib.pyplot as plt
    fig = curve_figure(logs, keys, legend, title)
    mkdir_or_exist(osp.dirname(osp.abspath(out)))
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def cal_train_time(logs: List[str]) -> List[dict]:
    rows = []
    for path in logs:
        times = np.array([v for _, v in load_log(path).get('time', [])])
        if times.size == 0:
            raise KeyError(f'{path} has no `time` entries (a training log?)')
        rows.append(
            dict(
                log=path,
                mean=float(times.mean()),
                median=float(np.median(times)),
                slowest=float(times.max()),
                fastest=float(times.min())))
        print(f'{path}: {times.size} logged iterations, average {times.mean():.4f} s/iter '
              f'(median {np.median(times):.4f}, fastest {times.min():.4f}, slowest '
              f'{times.max():.4f})')
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description='Analyse mmengine JSON logs')
    sub = parser.add_subparsers(dest='task', required=True)
    p = sub.add_parser('plot_curve', help='plot curves to an image file')
    p.add_argument('json_logs', nargs='+')
    p.add_argument('--keys', nargs='+', default=['loss'])
    p.add_argument('--out', required=True, help='output image (.png, .pdf, .svg)')
    p.add_argument('--legend', nargs='+')
    p.add_argument('--title')
    t = sub.add_parser('cal_train_time', help='average training iteration time')
    t.add_argument('json_logs', nargs='+')
    args = parser.parse_args(argv)
    if args.task == 'plot_curve':
        from mmstvg.utils.path_guard import check_outputs_not_inputs
        check_outputs_not_inputs({'--out': args.out}, {'json_logs': args.json_logs})
        out = plot_curve(args.json_logs, args.keys, args.out, args.legend, args.title)
        print(f'wrote {out}')
        return out
    return cal_train_time(args.json_logs)


if __name__ == '__main__':
    main()
