"""The benchmark scripts run end to end (CPU; 'fused' through the Triton interpreter) and
report every attention case / kernel. Their numbers are not asserted: timings belong in
docs/benchmarks.md, not in tests."""
import json
import os.path as osp

import pytest

from mmstvg.testing import import_script, strip_pretrained
from .conftest import REPO

benchmark_attention = import_script('tools/analysis_tools/benchmark_attention.py')
benchmark_model = import_script('tools/analysis_tools/benchmark_model.py')


def test_benchmark_attention_cpu(tmp_path):
    pytest.importorskip('triton')
    out = tmp_path / 'attn.json'
    report = benchmark_attention.main([
        '--device', 'cpu', '--dtype', 'fp32', '--setting', 'tiny', '--impls', 'naive', 'sdpa',
        'fused', '--iters', '1', '--warmup', '0', '--out',
        str(out)
    ])
    saved = json.loads(out.read_text())
    assert saved['results'] == json.loads(json.dumps(report['results']))
    cases = benchmark_attention.attention_cases(benchmark_attention.SETTINGS['tiny'])
    assert len(saved['results']) == 3 * len(cases)
    assert {(r['case'], r['impl'])
            for r in saved['results']} == {(c['name'], i)
                                           for c in cases
                                           for i in ('naive', 'sdpa', 'fused')}
    assert all(r['ms'] > 0 and r['flops_per_s'] > 0 for r in saved['results'])
    assert saved['roofline']['matmul_flops'] > 0 and saved['roofline']['copy_bytes_per_s'] > 0


def test_benchmark_attention_paper_shapes():
    cases = benchmark_attention.attention_cases(benchmark_attention.SETTINGS['train'])
    by_name = {c['name']: c for c in cases}
    # STCMT video->text: every one of the T x h x w positions queries the L text tokens
    assert by_name['STCMT video->text cross-attn']['lq'] == 48 * 14 * 14
    assert by_name['static decoder cross-attn (+weights)']['weights']


def test_benchmark_model_cpu(tmp_path):
    out = tmp_path / 'model.json'
    cfg = osp.join(REPO, 'configs/stvgformer',
                   'stvgformer_r18-c16-slowfast-tiny_1xb8-t32-8e_synth.py')
    benchmark_model.main([
        cfg, '--device', 'cpu', '--amp', 'none', '--impls', 'naive', 'sdpa', '--train-frames', '8',
        '--test-frames', '16', '--img-size', '48', '48', '--test-img-size', '48', '80',
        '--text-len', '6', '--iters', '1', '--warmup', '0', '--optim-impls', 'per-tensor', 'auto',
        '--clock', 'cpu', '--out',
        str(out)
    ])
    saved = json.loads(out.read_text())
    assert [r['impl'] for r in saved['results']] == ['naive', 'sdpa']
    assert all(r['train_iter_s'] > 0 and r['infer_video_s'] > 0 for r in saved['results'])
    # the optimiser steps timed in turn: PyTorch's per-tensor loop and the configs' choice
    first = saved['results'][0]
    assert set(first['train_by_optim_s']) == {'per-tensor', 'auto'}
    # and the optimiser's step alone, once per timed step
    steps = first['optim_step_runs_s']
    assert {o: len(t) for o, t in steps.items()} == {'per-tensor': 1, 'auto': 1}
    assert first['optimizers'] == {'per-tensor': 'AdamW(per-tensor)', 'auto': 'AdamW(fused)'}
    assert saved['params'] > 0
    assert saved['settings']['clock'] == 'cpu'  # the process's CPU time, not wall time


def test_strip_pretrained_replaces_weights_with_random_twins(tmp_path):
    cfg = dict(
        type='X',
        init_cfg=dict(type='Pretrained', checkpoint='missing.pth'),
        text_encoder=dict(type='HFTextEncoder', pretrained='no/such/dir'),
        layers=[dict(type='Y', init_cfg=dict(type='Pretrained'))])
    out = strip_pretrained(cfg)
    assert 'init_cfg' not in out and 'init_cfg' not in out['layers'][0]
    assert out['text_encoder']['config']['hidden_size'] == 768
    assert 'pretrained' not in out['text_encoder']
    # a local model folder's config.json gives the architecture
    (tmp_path / 'config.json').write_text(json.dumps(dict(model_type='roberta', hidden_size=8)))
    out = strip_pretrained(dict(type='HFTextEncoder', pretrained=str(tmp_path)))
    assert out == dict(type='HFTextEncoder', config=dict(model_type='roberta', hidden_size=8))
    # the benchmark and the FLOP counter use this one function
    assert benchmark_model.strip_pretrained is strip_pretrained


def test_benchmark_data_tiny_scale(tmp_path):
    """benchmark_data.py end to end on 1 % of the sets: generated data the datasets read,
    every side of the chosen works run, the evaluators agree with their references, the
    table replaces its part of the Markdown file. Its timings are not asserted."""
    tool = import_script('tools/analysis_tools/benchmark_data.py')
    out = tmp_path / 'bench.md'
    out.write_text('# Benchmarks\n\nkept\n')
    result = tool.main([
        '--data-dir',
        str(tmp_path / 'data'), '--scale', '0.005', '--runs', '1', '--only',
        'construct_vidstg_test', 'construct_vidstg_test_raw', 'eval_vidstg_sampled',
        'eval_hcstvg_official', 'decode_late', 'memory', '--out',
        str(out)
    ])
    rows = {row['key']: row for row in result['rows']}
    assert set(rows) == {
        'construct_vidstg_test', 'construct_vidstg_test_raw', 'eval_vidstg_sampled',
        'eval_hcstvg_official', 'decode_late'
    }
    for row in rows.values():
        assert row['sides']['mmstvg']['ratio']['median'] > 0
    for key in ('eval_vidstg_sampled', 'eval_hcstvg_official'):
        assert rows[key]['m_vIoU']['mmstvg'] == pytest.approx(rows[key]['m_vIoU']['reference'])
    assert result['memory']['mmstvg']['queries'] == 403
    # TubeDETR's preprocessing from the raw VidSTG + VidOR files (the reference of a first
    # build) gives the file the generator wrote in TubeDETR's format (category ids aside: the
    # generator writes 0)
    paths = tool._paths(str(tmp_path / 'data'))
    preproc = tool.ref_tubedetr_vidstg_preproc(paths['vidstg_test'], paths['vidor_test'])
    with open(paths['tubedetr_test']) as f:
        written = json.load(f)
    assert preproc['videos'] == written['videos'] and len(written['videos']) > 0
    for boxes in (preproc['trajectories'], written['trajectories']):
        for tracks in boxes.values():
            for track in tracks.values():
                for box in track.values():
                    box.pop('category_id')
    assert preproc['trajectories'] == written['trajectories']
    text = out.read_text()
    assert text.startswith('# Benchmarks\n\nkept\n') and tool.BEGIN in text
    assert '| VidSTG test dataset construction' in text
    # a second run replaces the generated part only
    tool.write_markdown(str(out), 'new table')
    assert out.read_text() == f'# Benchmarks\n\nkept\n\n{tool.BEGIN}\nnew table\n{tool.END}\n'
