"""End to end through the command-line tools, as a user runs them: tools/train.py (with
--amp on CPU), tools/test.py --submit --show-dir, the stand-alone evaluator on the
submission, the submission-only test split, and the weight-free trivial predictor."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config

from .conftest import REPO, tiny_synth_cfg

pytestmark = pytest.mark.slow


def _run(*args, cwd=REPO):
    env = dict(os.environ, PYTHONPATH=REPO)
    proc = subprocess.run([sys.executable, *args],
                          cwd=cwd,
                          env=env,
                          capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def test_train_test_submit_visualise(tiny_synth_root, tmp_path):
    cfg = tiny_synth_cfg(tiny_synth_root, str(tmp_path / 'work'), max_epochs=1)
    cfg_file = str(tmp_path / 'tiny_synth.py')
    cfg.dump(cfg_file)

    _run('tools/train.py', cfg_file, '--amp', '--work-dir', str(tmp_path / 'work'))
    ckpt = str(tmp_path / 'work' / 'epoch_1.pth')
    assert osp.exists(ckpt)
    assert Config.fromfile(osp.join(tmp_path, 'work', 'tiny_synth.py')).optim_wrapper.type \
        == 'CPUAmpOptimWrapper'

    sub = str(tmp_path / 'sub.json')
    out = _run('tools/test.py', cfg_file, ckpt, '--work-dir', str(tmp_path / 'test'), '--submit',
               sub, '--show-dir', 'vis')
    assert 'm_vIoU' in out
    entries = json.load(open(sub))
    assert len(entries) == 4  # every val query, none dropped
    for e in entries.values():
        assert 1 <= e['st_frame'] <= e['ed_frame'] <= 16  # 1-based, inclusive
        assert len(e['bbox']) == e['ed_frame'] - e['st_frame'] + 1
    vis = [
        osp.join(root, f) for root, _, files in os.walk(tmp_path / 'test') for f in files
        if f.endswith('.mp4') and 'vis' in root
    ]
    assert len(vis) == 4
    # and the key-frame montage of every query beside its video (docs/user_guides/train_test.md)
    for video in vis:
        assert osp.isfile(osp.splitext(video)[0] + '.png'), video

    # the stand-alone evaluator rescoring the submission agrees with the metric's own numbers
    ann = osp.join(tiny_synth_root, 'anno_v2', 'val_v2.json')
    rescored = json.loads(
        _run('tools/analysis_tools/eval_submission.py', '--ann', ann, '--pred', sub, '--protocol',
             'dense').strip().splitlines()[-1])
    logged = [
        json.loads(line) for root, _, files in os.walk(tmp_path / 'test') for f in files
        if f.endswith('.json') and f[0].isdigit() for line in open(osp.join(root, f))
    ]
    assert logged, 'the test run logged no metrics'
    for k in ('m_tIoU', 'm_vIoU', 'vIoU@0.3', 'vIoU@0.5'):
        assert rescored[k] == pytest.approx(logged[-1][k], abs=1e-4), k

    # the split without ground truth: a submission, no metrics, every query present
    query_sub = str(tmp_path / 'query_sub.json')
    _run('tools/test.py', cfg_file, ckpt, '--work-dir', str(tmp_path / 'query'), '--submit',
         query_sub, '--cfg-options', 'test_dataloader.dataset.ann_file=anno_v2/query_v2.json',
         'test_dataloader.dataset.fps=8', 'test_evaluator.format_only=True')
    assert set(json.load(open(query_sub))) == set(
        json.load(open(osp.join(tiny_synth_root, 'anno_v2', 'query_v2.json'))))


def test_trivial_predictor_needs_no_checkpoint(tiny_synth_root, tmp_path):
    cfg = Config.fromfile(osp.join(REPO, 'configs/baselines/trivial_centre-box_synth.py'))
    cfg.test_dataloader.dataset.data_root = tiny_synth_root
    cfg.test_dataloader.num_workers = 0
    cfg.test_dataloader.persistent_workers = False
    cfg_file = str(tmp_path / 'trivial.py')
    cfg.dump(cfg_file)
    out = _run('tools/test.py', cfg_file, '--work-dir', str(tmp_path / 'trivial'))
    assert 'm_tIoU' in out and 'vIoU@0.5' in out


def test_dist_train_two_cpu_processes(tiny_synth_root, tmp_path):
    """tools/dist_train.sh: torchrun, 2 processes over gloo on a CPU-only machine."""
    cfg = tiny_synth_cfg(tiny_synth_root, str(tmp_path / 'work'), max_epochs=1)
    cfg_file = str(tmp_path / 'tiny_dist.py')
    cfg.dump(cfg_file)
    env = dict(
        os.environ,
        PATH=osp.dirname(sys.executable) + os.pathsep + os.environ['PATH'],
        PORT='29517')
    proc = subprocess.run(['bash', 'tools/dist_train.sh', cfg_file, '2'],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert 'Distributed training: True' in log
    assert osp.exists(tmp_path / 'work' / 'epoch_1.pth')
    assert 'm_vIoU' in log  # validation gathered from both ranks
