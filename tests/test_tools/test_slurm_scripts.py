"""tools/slurm_{train,test}.sh (as mmdetection's): syntax, and a dry run with a fake ``srun``
on PATH that records what it is asked to run (there is no slurm cluster in CI)."""
import os
import os.path as osp
import stat
import subprocess

import pytest

from .conftest import REPO

FAKE_SRUN = """#!/usr/bin/env bash
printf '%s\\n' "$@" > "$SRUN_LOG"
echo "$PYTHONPATH" > "$SRUN_LOG.pythonpath"
"""


@pytest.mark.parametrize('script', ['tools/slurm_train.sh', 'tools/slurm_test.sh'])
def test_syntax(script):
    subprocess.run(['bash', '-n', osp.join(REPO, script)], check=True)


def _dry_run(tmp_path, script, args, **env):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    srun = bin_dir / 'srun'
    srun.write_text(FAKE_SRUN)
    srun.chmod(srun.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / 'srun.log'
    env = dict(
        os.environ, PATH=f'{bin_dir}{os.pathsep}{os.environ["PATH"]}', SRUN_LOG=str(log), **env)
    subprocess.run(['bash', script, *args], cwd=REPO, env=env, check=True, capture_output=True)
    pythonpath = (tmp_path / 'srun.log.pythonpath').read_text().split(os.pathsep)[0]
    return log.read_text().splitlines(), pythonpath


def test_slurm_test_dry_run(tmp_path):
    argv, pythonpath = _dry_run(
        tmp_path,
        'tools/slurm_test.sh', [
            'gpu', 'eval', 'configs/baselines/trivial_centre-box_synth.py', 'ckpt.pth',
            '--work-dir', 'work_dirs/x'
        ],
        GPUS='16',
        GPUS_PER_NODE='4',
        SRUN_ARGS='--quotatype=auto')
    assert argv == [
        '-p', 'gpu', '--job-name=eval', '--gres=gpu:4', '--ntasks=16', '--ntasks-per-node=4',
        '--cpus-per-task=5', '--kill-on-bad-exit=1', '--quotatype=auto', 'python', '-u',
        'tools/test.py', 'configs/baselines/trivial_centre-box_synth.py', 'ckpt.pth',
        '--launcher=slurm', '--work-dir', 'work_dirs/x'
    ]
    assert osp.realpath(osp.join(REPO, pythonpath.strip())) == osp.realpath(REPO)


def test_slurm_train_dry_run(tmp_path):
    argv, _ = _dry_run(tmp_path, 'tools/slurm_train.sh',
                       ['gpu', 'train', 'CONFIG', 'work_dirs/y', '--resume'])
    assert argv == [
        '-p', 'gpu', '--job-name=train', '--gres=gpu:8', '--ntasks=8', '--ntasks-per-node=8',
        '--cpus-per-task=5', '--kill-on-bad-exit=1', 'python', '-u', 'tools/train.py', 'CONFIG',
        '--work-dir=work_dirs/y', '--launcher=slurm', '--resume'
    ]
