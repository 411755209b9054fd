"""The GPU verification kit (.dev_scripts/gpu_check, a development harness) without a GPU: its
CPU dry run writes the full report, the targets and the Markdown come out right on hand-made
numbers, a stage that runs out of time keeps its finished units, the mmcv build command hides
the GPU, and the carried wheel list is pinned consistently with requirements/mminstall.txt."""
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time

import pytest
from packaging.requirements import Requirement

from mmstvg.testing import import_script
from .conftest import REPO

KIT = osp.join(REPO, '.dev_scripts', 'gpu_check')
gpu_check = import_script(osp.join(KIT, 'gpu_check.py'))
stages = import_script(osp.join(KIT, 'stages.py'))

REPORT_KEYS = {
    'schema', 'dry_run', 'created', 'wall_s', 'budget_s', 'environment', 'mmcv', 'stages',
    'targets', 'summary'
}
STAGE_KEYS = {'status', 'reason', 'wall_s', 'budget_s', 'results', 'skipped', 'errors'}


@pytest.mark.slow
def test_cpu_dry_run_writes_the_full_report(tmp_path):
    pytest.importorskip('triton')
    out = tmp_path / 'gpu_check'
    report = gpu_check.main(['--cpu', '--out', str(out)])
    saved = json.loads((out / 'report.json').read_text())
    assert set(saved) == REPORT_KEYS and saved['schema'] == gpu_check.SCHEMA
    assert saved['dry_run'] is True and report['summary'] == saved['summary']
    assert list(saved['stages']) == list(gpu_check.STAGES)
    for name, st in saved['stages'].items():
        assert STAGE_KEYS <= set(st), name
        assert st['status'] == 'ok', (name, st['status'], st['reason'], st['errors'])
    assert saved['environment']['device'] == 'cpu'
    assert saved['mmcv']['status'] == 'present'
    # every kernel check ran against float64 and passed its tolerance
    checks = saved['stages']['kernels']['results']
    assert len(checks) == len(stages.kernel_cases(cpu=True))
    assert all(c['passed'] and c['fwd_rel_err'] <= c['tol_fwd'] for c in checks)
    assert any(c.get('weights_rel_err') is not None for c in checks)
    assert {c['tiles'] for c in checks} == {'fixed', 'autotuned'}
    # attention: every case x impl, training (fwd+bwd) and test (fwd) settings
    att = saved['stages']['attention']['results']
    assert {(r['direction'], r['impl'])
            for r in att} == {(d, i)
                              for d in ('fwd', 'fwd+bwd')
                              for i in ('naive', 'sdpa', 'fused')}
    assert len(att) == 2 * 3 * 8 and all(r['ms'] > 0 for r in att)
    assert {r['impl'] for r in saved['stages']['fixed-tiles']['results']} == {'fused'}
    models = saved['stages']['model']['results']
    assert [(r['model'], r['impl']) for r in models] == [('STVGFormer', 'naive'),
                                                         ('STVGFormer', 'sdpa'), ('GKCMN', 'sdpa')]
    assert models[0]['settings']['test_passes'] == 2
    assert all(r['train_iter_s'] > 0 and r['infer_video_s'] > 0 for r in models)
    # targets: the STCMT cases against naive and sdpa, both settings, and the model rows
    scopes = {(t['target'], t['scope']) for t in saved['targets']}
    assert ('fused >= 1.5x naive', 'STCMT spatial self-attn (tiny, fwd+bwd)') in scopes
    assert ('< 0.57 s/video', 'STVGFormer inference, attn_impl=sdpa') in scopes
    md = (out / 'report.md').read_text()
    assert md.startswith('# GPU verification report') and 'CPU dry run' in md
    assert '| target | scope | measured | threshold | result |' in md
    assert md.count('| STCMT spatial self-attn | fused |') == 2


def _stage(results, **kw):
    return dict(
        dict(
            status='ok',
            reason=None,
            wall_s=1.0,
            budget_s=10,
            results=results,
            skipped=[],
            errors=[]), **kw)


def _att(case, impl, ms, setting='train', direction='fwd+bwd'):
    roof = dict(matmul_flops=1e15, copy_bytes_per_s=4e12)
    return dict(
        case=case,
        impl=impl,
        ms=ms,
        setting=setting,
        direction=direction,
        dtype='bf16',
        peak_bytes=2**20,
        flops_per_s=1e14,
        bytes_per_s=1e12,
        roofline=roof,
        shape={})


_kern = dict(
    name='odd',
    op='flash',
    dtype='bf16',
    shape=[3, 2, 37, 29, 24],
    tiles='fixed',
    tol_fwd=1.5e-2,
    tol_bwd=3e-2)


def test_targets_and_markdown_from_hand_made_numbers():
    st = dict(
        kernels=_stage([
            dict(_kern, passed=True, fwd_rel_err=1e-3, dq_rel_err=2e-3),
            dict(_kern, passed=False, fwd_rel_err=float('nan'))
        ]),
        attention=_stage([
            _att('STCMT spatial self-attn', 'naive', 4.0),
            _att('STCMT spatial self-attn', 'sdpa', 1.5),
            _att('STCMT spatial self-attn', 'fused', 2.0),
            _att('static encoder self-attn', 'naive', 9.0),
            _att('static encoder self-attn', 'fused', 1.0)
        ]),
        model=_stage([
            dict(
                model='STVGFormer',
                impl='fused',
                infer_video_s=0.5,
                infer_peak_mib=30000.0,
                train_iter_s=1.0,
                params=1e6,
                settings={}),
            dict(
                model='GKCMN',
                impl='sdpa',
                infer_video_s=9.0,
                train_iter_s=1.0,
                params=1e6,
                settings={})
        ]))
    targets = gpu_check.compute_targets(st)
    by = {(t['target'], t['scope']): t for t in targets}
    assert by[('kernels within tolerance of float64', 'every check')]['measured'] == '1/2'
    assert not by[('kernels within tolerance of float64', 'every check')]['passed']
    naive = by[('fused >= 1.5x naive', 'STCMT spatial self-attn (train, fwd+bwd)')]
    assert naive['measured'] == 2.0 and naive['passed']  # 4.0 / 2.0
    sdpa = by[('fused >= 1.0x sdpa', 'STCMT spatial self-attn (train, fwd+bwd)')]
    assert sdpa['measured'] == 0.75 and not sdpa['passed']  # 1.5 / 2.0
    assert not any('static encoder' in t['scope'] for t in targets)  # STCMT shapes only
    speed = by[('< 0.57 s/video', 'STVGFormer inference, attn_impl=fused')]
    assert speed['passed'] and speed['measured'] == 0.5
    mem = by[('< 28 GB peak memory', 'STVGFormer inference, attn_impl=fused')]
    assert mem['measured'] == round(30000 * 2**20 / 1e9, 2) and not mem['passed']  # 31.46
    assert len(targets) == 5  # GKCMN has no target
    report = dict(
        dry_run=False,
        environment=dict(device='NVIDIA H200'),
        wall_s=100.0,
        budget_s=450.0,
        created='now',
        mmcv=dict(status='built', build_s=150.0),
        stages=st,
        targets=targets)
    md = gpu_check.render_markdown(report)
    assert 'CPU dry run' not in md and 'NVIDIA H200' in md
    short = gpu_check.render_markdown(report, summary_only=True)
    assert md.startswith(short) and '## Targets' in short and '## Attention' not in short
    assert '| fused >= 1.0x sdpa | STCMT spatial self-attn (train, fwd+bwd) | 0.750 | 1.000 ' \
           '| FAIL |' in md
    assert '| fused >= 1.5x naive | STCMT spatial self-attn (train, fwd+bwd) | 2.000 | 1.500 ' \
           '| PASS |' in md
    # the attention table gives the speed-ups against naive and sdpa
    assert '| STCMT spatial self-attn | fused | 2.000 | 2.000 | 0.750 | 1.000 |' in md
    assert 'status: built; build_s: 150.0' in md
    assert '| bf16 | flash | odd | 3x2x37x29x24 | fixed | 1.000e-03 | - | 2.000e-03 | ' \
           '0.015 / 0.03 | PASS |' in md
    assert '| nan | - | - | 0.015 / 0.03 | FAIL |' in md
    lines = md.splitlines()
    for i, line in enumerate(lines):  # every table row has as many cells as its header
        if line.startswith('|') and not lines[i - 1].startswith('|'):
            n = line.count('|')
        if line.startswith('|'):
            assert line.count('|') == n, line


def test_stage_out_of_time_keeps_finished_units(tmp_path):
    rec = stages.Recorder(str(tmp_path / 's.json'), 'x', deadline=time.time() + 60)
    done = []

    def unit(name):
        done.append(name)
        if name == 'b':
            rec.deadline = time.time() - 1  # the time runs out during unit b
        if name == 'a':
            raise RuntimeError('boom')

    rec.units(['a', 'b', 'c', 'd'], unit)
    saved = json.loads((tmp_path / 's.json').read_text())
    assert done == ['a', 'b']
    assert saved['errors'] == [dict(unit='a', error='RuntimeError: boom')]
    assert [s['unit'] for s in saved['skipped']] == ['c', 'd']
    assert all(s['timed_out'] and 'time limit' in s['reason'] for s in saved['skipped'])


def test_stage_process_killed_past_its_limit(tmp_path):
    with open(tmp_path / 'log', 'w') as log:
        t0 = time.time()
        st = gpu_check.run_stage_process(
            'model', str(tmp_path), budget=0.5, cpu=True, log=log, grace=1.0)
    assert time.time() - t0 < 30
    assert st['status'] == 'timeout' and 'limit' in st['reason']
    assert st['results'] == []


def test_mmcv_build_hides_the_gpu_and_drops_debug_info(tmp_path):
    cmd, env = gpu_check.mmcv_build_command(
        'mmcv-2.1.0.tar.gz', 'wheels', 14, include_dir='/x/include')
    assert env['CUDA_VISIBLE_DEVICES'] == '' and env['MMCV_WITH_OPS'] == '1'
    assert env['MAX_JOBS'] == '14' and env['FORCE_CUDA'] == '0'
    assert env['CFLAGS'].split()[-2:] == ['-g0', '-I/x/include']
    assert env['PATH'].split(os.pathsep)[0] == osp.dirname(sys.executable)  # its ninja
    assert cmd[1:5] == ['-m', 'pip', 'wheel', '--no-deps'] and '--no-build-isolation' in cmd
    assert cmd[-1] == osp.abspath('mmcv-2.1.0.tar.gz') and osp.isabs(cmd[-2])


def _pins(path):
    pins = {}
    for line in open(path):
        line = line.split('#')[0].strip()
        if line:
            fields = line.split()
            req = Requirement(fields[0])
            specs = list(req.specifier)
            assert len(specs) == 1 and specs[0].operator == '==', line
            assert fields[1:] in ([], ['sdist']), line
            name = re.sub(r'[-_.]+', '-', req.name).lower()
            assert name not in pins, f'{req.name} pinned twice'
            pins[name] = specs[0].version
    return pins


def test_wheel_list_is_pinned_and_matches_mminstall():
    wheels = _pins(osp.join(KIT, 'wheels.txt'))
    mminstall = _pins(osp.join(REPO, 'requirements', 'mminstall.txt'))
    for name, version in mminstall.items():
        assert wheels[name] == version, name
    # what the carried packages require and the GPU machine's image lacks is carried too
    assert {
        'addict', 'yapf', 'termcolor', 'platformdirs', 'importlib-metadata', 'terminaltables',
        'pycocotools', 'shapely', 'setuptools'
    } <= set(wheels)
    assert int(wheels['setuptools'].split('.')[0]) < 82  # pkg_resources
    sdists = [
        ln for ln in open(osp.join(KIT, 'wheels.txt'))
        if ln.split('#')[0].strip().endswith('sdist')
    ]
    assert [s.split()[0] for s in sdists] == ['mmcv==2.1.0']


def test_scripts_parse_and_keep_wheels_out_of_git():
    for script in ('run.sh', 'prepare_wheels.sh'):
        subprocess.run(['bash', '-n', osp.join(KIT, script)], check=True)
    assert '/.whl/' in open(osp.join(REPO, '.gitignore')).read().split()
    # prepare_wheels' platform tags: the manylinux ones the device tool documents
    text = open(osp.join(KIT, 'prepare_wheels.sh')).read()
    assert '--python-version 3.12' in text and '--no-deps' in text
    assert re.search(r'64 \* 1024 \* 1024', text)


def test_carried_wheels_complement_the_gpu_image():
    check_carried = import_script(osp.join(KIT, 'check_carried.py'))
    image = check_carried.device_distributions()
    assert {'torch', 'triton', 'transformers', 'opencv-python-headless', 'numpy'} <= image
    carried = {check_carried._norm(n) for n in _pins(osp.join(KIT, 'wheels.txt'))}
    # nothing the image has is carried again, except setuptools for its version (< 82)
    assert carried & image == {'setuptools'}
    assert not {'mmengine', 'mmcv', 'mmdet', 'mmaction2', 'addict', 'yapf'} & image
