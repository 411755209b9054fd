"""Fault tolerance and distributed evaluation, end to end through the tools:

- a run killed at a random point and restarted with ``--resume`` reaches the same weights as
  an uninterrupted run, with the shipped dataloader settings (persistent workers, random
  augmentation); a truncated latest checkpoint is skipped on resume;
- checkpoint writes are atomic;
- a NaN loss stops training before the update, naming the iteration;
- 2-process (gloo) test results equal the 1-process ones, every query counted once;
- a pickle that would execute code is refused as a checkpoint;
- ``--cfg-options`` keys are validated;
- ``tools/data/check_dataset.py`` reports every kind of bad record and file, and training with
  ``skip_invalid=True`` skips and counts them.
"""
import json
import os
import os.path as osp
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmstvg.datasets.synthetic import read_video, write_video
from mmstvg.engine.fileio.atomic_local_backend import atomic_write
from mmstvg.testing import dump_json, import_script
from mmstvg.utils import validate_cfg_options
from .conftest import REPO, generate_tiny_synth, tiny_synth_cfg, use_shipped_loader_settings

pytestmark = pytest.mark.slow
check_dataset = import_script('tools/data/check_dataset.py')


def _env():
    return dict(
        os.environ,
        PYTHONPATH=REPO,
        PATH=osp.dirname(sys.executable) + os.pathsep + os.environ['PATH'])


def _run(*args, ok=True, timeout=900, **env):
    proc = subprocess.run([sys.executable, *args],
                          cwd=REPO,
                          env=dict(_env(), **env),
                          capture_output=True,
                          text=True,
                          timeout=timeout)
    if ok:
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


@pytest.fixture(scope='module')
def odd_root(tmp_path_factory):
    """8 training and 5 (odd: the distributed sampler pads) validation queries."""
    return generate_tiny_synth(
        str(tmp_path_factory.mktemp('synth_odd')), num_val=5, num_test=0, seed=5)


def _cfg_file(root, tmp_path, name, epochs=3):
    cfg = use_shipped_loader_settings(
        tiny_synth_cfg(root, str(tmp_path / name), max_epochs=epochs))
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=1, backend_args=dict(backend='atomic_local'))
    cfg.test_dataloader = cfg.test_dataloader.copy()
    cfg.test_dataloader.dataset.ann_file = 'anno_v2/val_v2.json'
    cfg.test_dataloader.batch_size = 1  # same arithmetic per query in 1 or 2 processes
    # (evaluation draws nothing at random: one worker, fewer processes for 2 CPU cores)
    cfg.test_dataloader.num_workers, cfg.test_dataloader.persistent_workers = 1, False
    path = str(tmp_path / f'{name}.py')
    cfg.dump(path)
    return path


@pytest.fixture(scope='module')
def uninterrupted(odd_root, tmp_path_factory):
    tmp = tmp_path_factory.mktemp('full')
    cfg = _cfg_file(odd_root, tmp, 'full')
    _run('tools/train.py', cfg, '--work-dir', str(tmp / 'full'))
    return cfg, tmp / 'full'


def _weights(path):
    return torch.load(str(path), map_location='cpu', weights_only=True)['state_dict']


def _assert_same_weights(a, b):
    wa, wb = _weights(a), _weights(b)
    assert wa.keys() == wb.keys()
    for k in wa:
        assert torch.equal(wa[k], wb[k]), k


def _train_and_kill_in_epoch_2(cfg, work, epoch_seconds, rng):
    """Start a training, SIGKILL it at a random point after ``epoch_1.pth`` is written and
    return whether it was killed before it finished (a fast machine can finish the tiny
    run in less time than the drawn delay)."""
    proc = subprocess.Popen([sys.executable, 'tools/train.py', cfg, '--work-dir',
                             str(work)],
                            cwd=REPO,
                            env=_env(),
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 600
    while not (work / 'epoch_1.pth').exists():
        assert proc.poll() is None and time.time() < deadline, 'training ended early'
        time.sleep(0.005)
    # somewhere in epoch 2: the delay is drawn within the length of an epoch measured on
    # this machine by the uninterrupted run
    time.sleep(float(rng.uniform(0, 0.8 * epoch_seconds)))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return not (work / 'epoch_3.pth').exists()


def test_kill_and_resume_reaches_the_same_weights(odd_root, uninterrupted, tmp_path):
    cfg, full_dir = uninterrupted
    epoch_seconds = max(
        (full_dir / 'epoch_2.pth').stat().st_mtime - (full_dir / 'epoch_1.pth').stat().st_mtime,
        0.0)
    rng = np.random.default_rng()
    for attempt in range(3):
        work = tmp_path / f'killed{attempt}'
        if _train_and_kill_in_epoch_2(cfg, work, epoch_seconds / 2**attempt, rng):
            break
    else:
        pytest.fail('the run finished before it was killed, three times')
    # whatever the kill interrupted, every checkpoint on disk is complete
    for ckpt in work.glob('*.pth'):
        assert _weights(ckpt)
    out = _run('tools/train.py', cfg, '--work-dir', str(work), '--resume')
    assert 'resumed' in (out.stdout + out.stderr).lower()
    _assert_same_weights(work / 'epoch_3.pth', full_dir / 'epoch_3.pth')


def test_resume_skips_a_truncated_latest_checkpoint(uninterrupted, tmp_path):
    cfg, full_dir = uninterrupted
    work = tmp_path / 'corrupt'
    work.mkdir()
    shutil.copy(full_dir / 'epoch_1.pth', work / 'epoch_1.pth')
    data = (full_dir / 'epoch_2.pth').read_bytes()
    (work / 'epoch_2.pth').write_bytes(data[:len(data) // 2])  # a non-atomic writer, killed
    (work / 'last_checkpoint').write_text(str(work / 'epoch_2.pth'))
    out = _run('tools/train.py', cfg, '--work-dir', str(work), '--resume')
    log = out.stdout + out.stderr
    assert re.search(r'cannot read checkpoint \S*epoch_2\.pth', log), log[-3000:]
    _assert_same_weights(work / 'epoch_3.pth', full_dir / 'epoch_3.pth')


def test_atomic_write_keeps_the_old_file_when_interrupted(tmp_path, monkeypatch):
    target = tmp_path / 'epoch_1.pth'
    atomic_write(b'old complete checkpoint', target)

    def crash(*args):
        raise KeyboardInterrupt  # killed between writing the temporary file and the rename

    monkeypatch.setattr(os, 'replace', crash)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(b'new', target)
    assert target.read_bytes() == b'old complete checkpoint'
    assert [p.name for p in tmp_path.iterdir()] == ['epoch_1.pth']  # no temporary left


def test_nan_loss_stops_before_the_update(odd_root, tmp_path, monkeypatch):
    from mmengine.runner import Runner

    from mmstvg.models.grounders.baseline_grounder import BaselineGrounder
    from mmstvg.utils import register_all_modules
    register_all_modules()
    calls = dict(n=0)
    loss_fn = BaselineGrounder.loss

    def loss(self, *args, **kwargs):
        calls['n'] += 1
        losses = loss_fn(self, *args, **kwargs)
        if calls['n'] == 3:
            key = next(iter(losses))
            losses[key] = losses[key] * float('nan')
        return losses

    monkeypatch.setattr(BaselineGrounder, 'loss', loss)
    cfg = tiny_synth_cfg(odd_root, str(tmp_path / 'nan'), max_epochs=2)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    runner = Runner.from_cfg(cfg)
    with pytest.raises(FloatingPointError, match='iteration 3'):
        runner.train()
    assert all(torch.isfinite(p).all() for p in runner.model.parameters())
    assert not (tmp_path / 'nan' / 'epoch_1.pth').exists()


def _metric_line(log):
    found = re.findall(
        r'(m_tIoU: [\d.]+\s+m_vIoU: [\d.]+\s+vIoU@0\.3: [\d.]+\s+'
        r'vIoU@0\.5: [\d.]+)', log)
    assert found, log[-2000:]
    return found[-1]


def test_two_process_test_equals_one_process(uninterrupted, tmp_path):
    cfg, full_dir = uninterrupted
    ckpt = str(full_dir / 'epoch_3.pth')
    # torchrun gives each process OMP_NUM_THREADS=1: the same for the single process, so
    # that both runs do the same floating-point reductions
    one = _run(
        'tools/test.py',
        cfg,
        ckpt,
        '--work-dir',
        str(tmp_path / 'one'),
        '--submit',
        str(tmp_path / 'one.json'),
        OMP_NUM_THREADS='1')
    env = dict(_env(), PORT='29531')
    two = subprocess.run([
        'bash', 'tools/dist_test.sh', cfg, ckpt, '2', '--work-dir',
        str(tmp_path / 'two'), '--submit',
        str(tmp_path / 'two.json')
    ],
                         cwd=REPO,
                         env=env,
                         capture_output=True,
                         text=True,
                         timeout=600)
    log2 = two.stdout + two.stderr
    assert two.returncode == 0, log2[-4000:]
    assert 'Distributed' in log2 or 'world_size: 2' in log2 or 'gloo' in log2
    sub1 = json.loads((tmp_path / 'one.json').read_text())
    sub2 = json.loads((tmp_path / 'two.json').read_text())
    assert len(sub1) == 5 and sub1 == sub2  # 5 queries, each exactly once
    assert _metric_line(one.stdout + one.stderr) == _metric_line(log2)


def test_nan_checkpoint_stops_test_and_writes_no_submission(uninterrupted, tmp_path):
    """A checkpoint of NaN weights: test.py fails naming the queries instead of scoring 0,
    and writes no submission (eval_submission.py would refuse its NaN boxes)."""
    cfg, full_dir = uninterrupted
    ckpt = torch.load(str(full_dir / 'epoch_3.pth'), map_location='cpu', weights_only=True)
    for value in ckpt['state_dict'].values():
        if value.is_floating_point():
            value.fill_(float('nan'))
    nan_ckpt = tmp_path / 'nan.pth'
    torch.save(ckpt, str(nan_ckpt))
    sub = tmp_path / 'nan_sub.json'
    proc = _run(
        'tools/test.py',
        cfg,
        str(nan_ckpt),
        '--work-dir',
        str(tmp_path / 'nan'),
        '--submit',
        str(sub),
        ok=False)
    assert proc.returncode != 0
    assert 'NonFinitePredictionError' in proc.stderr
    assert '5 of 5 queries have non-finite (NaN/inf) predicted boxes' in proc.stderr
    assert not sub.exists()


def test_second_training_into_a_busy_work_dir_is_refused(odd_root, tmp_path):
    """Two trainings into one work dir: the second stops at start-up naming the first and
    writes nothing there."""
    work_dir = tmp_path / 'busy'
    cfg = _cfg_file(odd_root, tmp_path, 'busy', epochs=1)
    hold = ('import sys, time\n'
            'from mmstvg.engine.fileio.work_dir_lock import lock_work_dir\n'
            'with lock_work_dir(sys.argv[1]):\n'
            '    print("locked", flush=True)\n'
            '    time.sleep(120)\n')
    first = subprocess.Popen(
        [sys.executable, '-c', hold, str(work_dir)],
        cwd=REPO,
        env=_env(),
        stdout=subprocess.PIPE,
        text=True)
    try:
        assert first.stdout.readline().strip() == 'locked'
        proc = _run('tools/train.py', cfg, '--work-dir', str(work_dir), ok=False, timeout=300)
        assert proc.returncode != 0
        assert 'WorkDirLockedError' in proc.stderr
        assert f'is in use by another training (pid {first.pid}' in proc.stderr
        assert sorted(os.listdir(work_dir)) == ['.train.lock']  # no log, no checkpoint
    finally:
        first.kill()
        first.wait()
    _run('tools/train.py', cfg, '--work-dir', str(work_dir))  # free again
    assert osp.exists(work_dir / 'epoch_1.pth')


class _Evil:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def test_checkpoint_that_runs_code_is_refused(odd_root, tmp_path):
    marker = tmp_path / 'pwned'
    evil = tmp_path / 'evil.pth'
    torch.save(dict(state_dict={}, meta=_Evil(str(marker))), str(evil))
    cfg = osp.join(REPO, 'configs/baselines/trivial_centre-box_synth.py')
    proc = _run(
        'tools/test.py',
        cfg,
        str(evil),
        '--work-dir',
        str(tmp_path / 'w'),
        '--cfg-options',
        f'test_dataloader.dataset.data_root={odd_root}',
        ok=False)
    assert proc.returncode != 0
    assert 'refused to load checkpoint' in proc.stderr and 'evil.pth' in proc.stderr
    assert not marker.exists()


def test_cfg_options_are_validated():
    cfg = Config(dict(model=dict(type='X', bbox_head=dict(loss=1)), custom_hooks=[dict(a=1)]))
    validate_cfg_options(cfg, {
        'model.bbox_head.loss': 2,
        'model.new_arg': 1,
        'custom_hooks.0.a': 3
    })
    with pytest.raises(ValueError, match="did you mean 'bbox_head'"):
        validate_cfg_options(cfg, {'model.bbox_hed.loss': 2})
    with pytest.raises(ValueError, match='invalid key'):
        validate_cfg_options(cfg, {'model.__class__': 1})
    with pytest.raises(ValueError, match='not an index'):
        validate_cfg_options(cfg, {'custom_hooks.3.a': 1})
    proc = _run('tools/train.py', 'configs/no_such_config.py', ok=False)
    assert 'does not exist' in proc.stderr


@pytest.fixture
def faulty_root(tmp_path):
    """6 training queries, each with one fault."""
    root = tmp_path / 'faulty'
    generate_tiny_synth(str(root), num_train=6, num_val=2, num_test=0, seed=7)
    videos = root / 'videos'
    (videos / 'train_00000.mp4').unlink()  # missing
    (videos / 'train_00001.mp4').write_bytes(b'\x00\x00\x00\x18ftypmp42' + os.urandom(4096))
    frames = read_video(str(videos / 'train_00002.mp4'))
    write_video(str(videos / 'train_00002.mp4'), frames[:8], fps=8)  # truncated
    ann_file = root / 'anno_v2' / 'train_v2.json'
    ann = json.loads(ann_file.read_text())
    ann['train_00003.mp4']['bbox'] = [[500, 500, 5, 5]] * len(ann['train_00003.mp4']['bbox'])
    ann['train_00004.mp4']['ed_frame'] = 40  # beyond the video
    ann['train_00005.mp4']['English'] = '   '
    ann_file.write_text(json.dumps(ann))
    return str(root)


EXPECTED_FAULTS = {
    'train_00000': 'missing_video',
    'train_00001': 'corrupt_video',
    'train_00002': 'truncated_video',
    'train_00003': 'box_outside_frame',
    'train_00004': 'malformed',
    'train_00005': 'empty_sentence'
}


def test_check_dataset_reports_every_fault(faulty_root, tmp_path):
    cfg = tiny_synth_cfg(faulty_root, str(tmp_path / 'w'))
    cfg_path = str(tmp_path / 'faulty.py')
    cfg.dump(cfg_path)
    out = tmp_path / 'report.json'
    report = check_dataset.main([cfg_path, '--splits', 'train', 'val', '--out', str(out)])
    assert json.loads(out.read_text())['num_problems'] == report['num_problems'] == 6
    train = report['splits']['train']
    found = {}
    for p in train['problems']:
        qid = p['qid'] if isinstance(p['qid'], str) else p['qid'][0]
        found[re.sub(r'\.mp4$', '', str(qid))] = p['reason']
    assert found == EXPECTED_FAULTS
    assert train['num_ok'] == 0 and report['splits']['val']['problems'] == []
    proc = _run('tools/data/check_dataset.py', cfg_path, '--splits', 'train', ok=False)
    assert proc.returncode == 1 and 'truncated_video' in proc.stdout


def test_training_skips_and_counts_bad_records(faulty_root, tmp_path, odd_root):
    """skip_invalid=True: bad annotations skipped at load, bad videos at run time; all counted
    in the log; nothing replaced by dummy frames."""
    cfg = tiny_synth_cfg(faulty_root, str(tmp_path / 'w'), max_epochs=1)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.train_dataloader.dataset.skip_invalid = True
    # keep two good queries in the training set so that an epoch can run
    ann = json.loads(open(osp.join(faulty_root, 'anno_v2/train_v2.json')).read())
    good = json.loads(open(osp.join(odd_root, 'anno_v2/train_v2.json')).read())
    for name in list(good)[:2]:
        ann[f'good_{name}'] = good[name]
        shutil.copy(
            osp.join(odd_root, 'videos', name), osp.join(faulty_root, 'videos', f'good_{name}'))
    dump_json(osp.join(faulty_root, 'anno_v2/train_v2.json'), ann)
    cfg.train_dataloader.num_workers = 0
    cfg_path = str(tmp_path / 'skip.py')
    cfg.dump(cfg_path)
    out = _run('tools/train.py', cfg_path, '--work-dir', str(tmp_path / 'w'))
    log = out.stdout + out.stderr
    assert re.search(r'skipped 3 invalid queries', log), log[-3000:]
    for name in ('train_00000', 'train_00001', 'train_00002'):
        assert name in log  # each bad video named when its query is skipped
    assert osp.exists(tmp_path / 'w' / 'epoch_1.pth')
