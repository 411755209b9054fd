"""tools/analysis_tools: FLOPs/params, log curves, dataset browsing, the benchmark suite."""
import json
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

from mmstvg.testing import import_script
from .conftest import REPO, tiny_synth_cfg

analyze_logs = import_script('tools/analysis_tools/analyze_logs.py')
benchmark_suite = import_script('tools/analysis_tools/benchmark_suite.py')
browse_dataset = import_script('tools/analysis_tools/browse_dataset.py')
get_flops = import_script('tools/analysis_tools/get_flops.py')


@pytest.mark.parametrize('config', [
    'configs/baselines/baseline_r18-c16-s8_1xb8-t32-8e_synth.py',
    'configs/stvgformer/stvgformer_r18-c16-slowfast-tiny_1xb8-t32-8e_synth.py',
    'configs/gkcmn/gkcmn_r3d18-tiny_1xb8-t32-8e_synth.py'
])
def test_get_flops(config):
    res = get_flops.main([osp.join(REPO, config), '--num-frames', '8', '--shape', '64', '64'])
    assert res['params'] > 1e5 and res['flops'] > 1e7
    assert sum(res['flops_by_module'].values()) == pytest.approx(res['flops'], rel=1e-6)
    # more frames, more FLOPs (the counter sees the video)
    more = get_flops.main([osp.join(REPO, config), '--num-frames', '16', '--shape', '64', '64'])
    assert more['flops'] > 1.5 * res['flops'] and more['params'] == res['params']


def test_analyze_logs(tmp_path):
    log = tmp_path / 'run' / '20261128_000000' / 'vis_data' / 'scalars.json'
    log.parent.mkdir(parents=True)
    lines = [
        dict(lr=1e-3, loss=3.0, time=0.5, data_time=0.1, epoch=1, iter=1, step=1),
        dict(lr=1e-3, loss=2.0, time=0.7, data_time=0.1, epoch=1, iter=2, step=2),
        dict(lr=5e-4, loss=1.0, time=0.6, data_time=0.1, epoch=2, iter=3, step=3),
        dict(m_vIoU=0.25, m_tIoU=0.5, time=9.0, data_time=1.0, step=2)
    ]
    log.write_text('\n'.join(json.dumps(x) for x in lines) + '\n')
    curves = analyze_logs.load_log(str(log))
    assert curves['loss'] == [(1, 3.0), (2, 2.0), (3, 1.0)]
    assert curves['m_vIoU'] == [(2, 0.25)]
    assert [v for _, v in curves['time']] == [0.5, 0.7, 0.6]  # evaluation time left out
    out = analyze_logs.main([
        'plot_curve',
        str(log), '--keys', 'loss', 'm_vIoU', '--out',
        str(tmp_path / 'curves.png')
    ])
    import cv2
    img = cv2.imread(out)
    assert img is not None and img.shape[0] > 300
    # the x axes say what the step counts: the iteration for training keys, the epoch for
    # the metrics of an epoch-based run (training lines with an `epoch`)
    import matplotlib.pyplot as plt
    fig = analyze_logs.curve_figure([str(log)], ['loss', 'm_vIoU'])
    assert [ax.get_xlabel() for ax in fig.axes] == ['iteration', 'epoch']
    plt.close(fig)
    iter_log = tmp_path / 'iter_based.json'  # an iteration-based run: metrics at the iteration
    iter_log.write_text('\n'.join(
        json.dumps({
            k: v
            for k, v in x.items() if k != 'epoch'
        }) for x in lines) + '\n')
    fig = analyze_logs.curve_figure([str(iter_log)], ['loss', 'm_vIoU'])
    assert [ax.get_xlabel() for ax in fig.axes] == ['iteration', 'iteration']
    plt.close(fig)
    fig = analyze_logs.curve_figure([str(log), str(iter_log)], ['m_vIoU'], legend=['a', 'b'])
    assert fig.axes[0].get_xlabel() == 'epoch / iteration'
    plt.close(fig)
    rows = analyze_logs.main(['cal_train_time', str(log)])
    assert rows[0]['mean'] == pytest.approx(0.6) and rows[0]['slowest'] == 0.7
    with pytest.raises(KeyError, match='none of the logs'):
        analyze_logs.main(
            ['plot_curve',
             str(log), '--keys', 'los', '--out',
             str(tmp_path / 'x.png')])


def test_browse_dataset_draws_the_pipeline_boxes(tiny_synth_root, tmp_path):
    import cv2
    cfg = tiny_synth_cfg(tiny_synth_root, str(tmp_path / 'w'))
    cfg_file = str(tmp_path / 'cfg.py')
    cfg.dump(cfg_file)
    paths = browse_dataset.main([
        cfg_file, '--num-samples', '2', '--frames', '8', '--out-dir',
        str(tmp_path / 'browse'), '--video'
    ])
    assert len(paths) == 2
    for p in paths:
        img = cv2.imread(p)[..., ::-1].astype(int)
        green = (img[..., 1] > 200) & (img[..., 0] < 80) & (img[..., 2] < 80)
        assert green.sum() > 20  # GT boxes of the in-span frames
        assert osp.getsize(p.replace('.png', '.mp4')) > 0


def test_benchmark_suite_pieces(tiny_synth_root, tmp_path):
    configs = benchmark_suite.suite_configs()
    names = [osp.basename(c) for c in configs]
    assert names[0].startswith('baseline') and any('wo-interaction' in n for n in names)
    # GKCMN: full, 5 ablations, 2D-TAN head; STVGFormer: full, 3 ablations, 3 head swaps
    # (GKCMN's heatmap head, 2D-TAN's, TubeDETR's start/end head); TubeDETR: full, 2D-TAN head
    assert sum(n.startswith('gkcmn_') for n in names) == 7
    assert sum(n.startswith('stvgformer_') for n in names) == 7
    assert sum(n.startswith('tubedetr_') for n in names) == 2
    # GKCMN on extracted features: only when named (its features are extracted first)
    features = 'configs/gkcmn/gkcmn_r3d18-tiny-features_1xb8-t32-8e_synth.py'
    assert features not in configs and features in benchmark_suite.suite_configs(True)
    cfg = Config.fromfile(osp.join(REPO, configs[0]))
    benchmark_suite.set_epochs(cfg, 2)
    assert cfg.train_cfg.max_epochs == 2  # the cosine decay ends there (no T_max)
    assert cfg.param_scheduler[0].end == 1  # the warm-up is kept
    log = ('11/28 - mmengine - INFO - Epoch(test) [5/5]    m_tIoU: 0.4000  m_vIoU: 0.0510  '
           'vIoU@0.3: 0.0000  vIoU@0.5: 0.0000  data_time: 0.1')
    assert benchmark_suite.parse_test_metrics(log) == {
        'm_tIoU': 0.4,
        'm_vIoU': 0.051,
        'vIoU@0.3': 0.0,
        'vIoU@0.5': 0.0
    }
    # end to end on the weight-free predictor (test only)
    rows = benchmark_suite.main([
        '--work-dir',
        str(tmp_path / 'suite'), '--data-root', tiny_synth_root, '--only', 'trivial', '--out',
        str(tmp_path / 'table.md')
    ])
    assert len(rows) == 1 and 0 < rows[0]['m_tIoU'] <= 1
    assert rows[0]['split'] == 'test' and rows[0]['ann_file'].endswith('anno_v2/test_v2.json')
    table = (tmp_path / 'table.md').read_text()
    assert '| `trivial_centre-box_synth` | - | 1 |' in table and 'benchmark_suite.py' in table
    assert 'test_v2.json' in table
    assert json.loads((tmp_path / 'suite' / 'results.json').read_text()) == rows
    assert np.isfinite(rows[0]['test_s'])
    assert 'cut to' not in table  # no --epochs: the configs' schedules
    # a second invocation reuses the row (same values) and records the budget note; the
    # recorded command leaves --skip-existing out
    again = benchmark_suite.main([
        '--work-dir',
        str(tmp_path / 'suite'), '--data-root', tiny_synth_root, '--only', 'trivial', '--epochs',
        '2', '--skip-existing', '--out',
        str(tmp_path / 'table2.md')
    ])
    assert again == rows
    table2 = (tmp_path / 'table2.md').read_text()
    assert 'cut to 2 epoch(s)' in table2 and '--epochs 2' in table2
    assert '--skip-existing`' not in table2.split('Rows already')[0]
    # a reused row listed after a recomputed one stays in results.json
    gk = next(c for c in configs if 'gkcmn_r3d18-tiny_' in c)
    kept = dict(
        config=gk,
        name=osp.basename(gk)[:-3],
        epochs=2,
        m_tIoU=0.5,
        m_vIoU=0.25,
        seed=0,
        split='test',
        **{
            'vIoU@0.3': 0.5,
            'vIoU@0.5': 0.25
        })
    (tmp_path / 'suite' / 'results.json').write_text(json.dumps([kept]))
    third = benchmark_suite.main([
        '--work-dir',
        str(tmp_path / 'suite'), '--data-root', tiny_synth_root, '--only', 'trivial',
        'gkcmn_r3d18-tiny_', '--skip-existing', '--out', ''
    ])
    assert [r['name'] for r in third] == ['trivial_centre-box_synth', kept['name']]
    saved = json.loads((tmp_path / 'suite' / 'results.json').read_text())
    assert sorted(r['name'] for r in saved) == sorted(r['name'] for r in third)


def test_benchmark_suite_seeds_and_test_split(tiny_synth_root, tmp_path, monkeypatch):
    """--seeds: one run per seed (its own work dir, ``randomness.seed`` in the dumped config),
    one row each in results.json; the table scores the test split while training validates on
    val; a config that does not train runs once; mean ± sample std over the seeds with n."""
    calls = []

    def fake_run(cmd, log_file):
        calls.append(cmd)
        cfg = Config.fromfile(cmd[1])
        if cmd[0] == 'tools/train.py':
            return ''
        seed = cfg.randomness.seed
        m_viou = 0.30 + 0.04 * seed  # seeds 0, 1: 0.30, 0.34
        return ('Epoch(test) [1/1]    m_tIoU: 0.5000  m_vIoU: '
                f'{m_viou:.4f}  vIoU@0.3: 0.4000  vIoU@0.5: 0.2000')

    monkeypatch.setattr(benchmark_suite, 'run', fake_run)
    rows = benchmark_suite.main([
        '--work-dir',
        str(tmp_path / 'suite'), '--data-root', tiny_synth_root, '--only', 'gkcmn_r3d18-tiny_',
        'trivial', '--seeds', '0', '1', '--epochs', '1', '--out',
        str(tmp_path / 'table.md')
    ])
    assert [(r['name'][:8], r['seed']) for r in rows] == [('trivial_', 0), ('gkcmn_r3', 0),
                                                          ('gkcmn_r3', 1)]
    trains = [c for c in calls if c[0] == 'tools/train.py']
    assert len(trains) == 2 and trains[0][1] != trains[1][1]
    for seed, cmd in enumerate(trains):
        cfg = Config.fromfile(cmd[1])
        assert cfg.randomness.seed == seed and f'seed{seed}' in cmd[1]
        assert cfg.train_cfg.max_epochs == 1
        assert cfg.val_dataloader.dataset.ann_file == 'anno_v2/val_v2.json'
        assert cfg.test_dataloader.dataset.ann_file == 'anno_v2/test_v2.json'
    saved = json.loads((tmp_path / 'suite' / 'results.json').read_text())
    assert [(r['name'][:8], r['seed']) for r in saved] == [('trivial_', 0), ('gkcmn_r3', 0),
                                                           ('gkcmn_r3', 1)]
    (entry, ) = [e for e in benchmark_suite.aggregate(rows) if e['name'].startswith('gkcmn')]
    # mean of 0.30 and 0.34 = 0.32; sample std = |0.34 - 0.30| / sqrt(2) = 0.0283
    assert entry['n'] == 2 and entry['m_vIoU'] == pytest.approx(0.32)
    assert entry['m_vIoU_std'] == pytest.approx(0.04 / 2**0.5)
    assert entry['m_tIoU_std'] == pytest.approx(0.0)
    table = (tmp_path / 'table.md').read_text()
    assert '| 1 | 2 | 50.0 ± 0.0 | 32.0 ± 2.8 | 40.0 ± 0.0 | 20.0 ± 0.0 |' in table
    assert 'sample standard deviation' in table
    # rerun: every (config, seed, split, epochs) is reused, nothing runs
    calls.clear()
    again = benchmark_suite.main([
        '--work-dir',
        str(tmp_path / 'suite'), '--data-root', tiny_synth_root, '--only', 'gkcmn_r3d18-tiny_',
        'trivial', '--seeds', '0', '1', '--epochs', '1', '--skip-existing', '--out', ''
    ])
    assert again == rows and not calls
    # --report-only: runs nothing, tables the rows there and lists the selected runs that
    # have none (here seed 2), leaving the option out of the recorded command
    again = benchmark_suite.main([
        '--work-dir',
        str(tmp_path / 'suite'), '--data-root', tiny_synth_root, '--only', 'gkcmn_r3d18-tiny_',
        '--seeds', '0', '1', '2', '--epochs', '1', '--report-only', '--out',
        str(tmp_path / 'report.md')
    ])
    assert again == rows[1:] and not calls
    report = (tmp_path / 'report.md').read_text()
    assert '| 1 | 2 | 50.0 ± 0.0 | 32.0 ± 2.8 |' in report
    assert 'Not run yet' in report and '`gkcmn_r3d18-tiny_1xb8-t32-8e_synth` seed 2' in report
    assert '--report-only' not in report and '--seeds 0 1 2' in report
    assert 'seed 0' not in report.split('Not run yet')[1]
    # no test split in the data root: a clear error naming the generator option
    cfg = Config.fromfile(osp.join(REPO, 'configs/gkcmn/gkcmn_r3d18-tiny_1xb8-t32-8e_synth.py'))
    cfg.test_dataloader.dataset.data_root = str(tmp_path)
    with pytest.raises(FileNotFoundError, match='--num-test'):
        benchmark_suite.use_test_split(cfg)
