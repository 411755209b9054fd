"""tools/setup_env.sh shows its progress (a numbered line per step, pip's own output, a
"still running" line during a long step such as the mmcv build, each step's time), stops on
a failing step, and a second run on a ready environment does nothing. A fake venv python
records the pip calls instead of installing anything."""
import os
import os.path as osp
import stat
import subprocess

from .conftest import REPO

FAKE_PYTHON = r'''#!/usr/bin/env bash
echo "$*" >> "$FAKE_LOG"
if [ "$1" = "-c" ]; then
  case "$2" in
    "import mmcv.ops") exit "$FAKE_MMCV_MISSING";;
    *"imports ok"*) echo "[setup_env] imports ok"; exit 0;;
  esac
fi
case "$*" in
  *mmengine==0.10.7*) sleep 1.6;;  # the mmcv build: long enough for a heartbeat
  *"-e ."*) exit "$FAKE_FAIL_LAST";;
esac
echo "Collecting something"
'''


def _setup(tmp_path, **env):
    venv = tmp_path / 'venv'
    (venv / 'bin').mkdir(parents=True, exist_ok=True)
    python = venv / 'bin' / 'python'
    python.write_text(FAKE_PYTHON)
    python.chmod(python.stat().st_mode | stat.S_IEXEC)
    env = dict(
        os.environ,
        MMSTVG_VENV=str(venv),
        FAKE_LOG=str(tmp_path / 'calls.log'),
        SETUP_ENV_HEARTBEAT='1',
        **dict(dict(FAKE_MMCV_MISSING='1', FAKE_FAIL_LAST='0'), **env))
    return subprocess.run(['bash', osp.join(REPO, 'tools', 'setup_env.sh')],
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=120)


def _pip_calls(tmp_path):
    log = tmp_path / 'calls.log'
    lines = log.read_text().splitlines() if log.exists() else []
    return [c for c in lines if c.startswith('-m pip')]


def test_progress_and_idempotence(tmp_path):
    proc = _setup(tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    for i in range(1, 6):
        assert f'[setup_env] ({i}/5) ' in out and f'({i}/5) done in ' in out
    assert 'building mmcv with CPU ops' in out
    assert '... still running: building mmcv' in out  # the heartbeat of the long step
    assert 'Collecting something' in out  # pip's own output is shown
    calls = _pip_calls(tmp_path)
    assert len(calls) == 4
    assert all('--quiet' not in c and '--progress-bar on' in c for c in calls)
    assert out.rstrip().endswith('is ready')

    # a second run on the ready environment: nothing is installed
    proc = _setup(tmp_path)
    assert proc.returncode == 0 and proc.stdout.strip() == \
        f'[setup_env] {tmp_path / "venv"} is ready'
    assert len(_pip_calls(tmp_path)) == 4


def test_a_failing_step_stops_the_setup(tmp_path):
    proc = _setup(tmp_path, FAKE_FAIL_LAST='3', FAKE_MMCV_MISSING='0')
    assert proc.returncode == 3
    assert 'mmcv with CPU ops: already built' in proc.stdout
    assert '(5/5) failed after' in proc.stderr and 'mmstvg (editable' in proc.stderr
    assert proc.stderr.count('\n') == 1  # that line only
    assert not list((tmp_path / 'venv').glob('.mmstvg-ready-*'))  # not marked ready
