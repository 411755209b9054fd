"""STCAT equals its original code (``tools/analysis_tools/compare_with_reference.py --method
stcat``).

Needs a checkout of jy0205/STCAT (``$MMSTVG_STCAT_REPO``, compared at 400f5481) and the
folder(s) with what the original code imports and mmstvg does not (``$MMSTVG_REF_PYTHONPATH``,
joined by ``os.pathsep``: ``yacs`` and ``torchvision``, e.g. ``pip install --no-deps --target
DIR yacs==0.1.8 torchvision==0.28.0``; never in mmstvg's environment);
``configs/stcat/README.md`` tells how to get them. Without them the test is skipped. It builds
the original model at its full size for each setting in a fresh process: 1 to 2 minutes per
setting on two CPU cores, all three by default (``$MMSTVG_COMPARE_SETTINGS`` = a
space-separated subset).
"""
import os
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'analysis_tools', 'compare_with_reference.py')
REF_REPO = os.environ.get('MMSTVG_STCAT_REPO')
REF_PYTHONPATH = os.environ.get('MMSTVG_REF_PYTHONPATH')


def _skip_reason():
    if not REF_REPO:
        return ('no STCAT checkout: set MMSTVG_STCAT_REPO (git clone '
                'https://github.com/jy0205/STCAT; git checkout 400f5481) and '
                'MMSTVG_REF_PYTHONPATH (folders with yacs and torchvision for the original code)')
    if not osp.isfile(osp.join(REF_REPO, 'models', 'pipeline.py')):
        return f'MMSTVG_STCAT_REPO={REF_REPO} is not an STCAT checkout'
    return None


@pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or '')
def test_stcat_equals_the_original_code():
    settings = os.environ.get('MMSTVG_COMPARE_SETTINGS', 'hcstvg-v1 hcstvg-v2 vidstg').split()
    cmd = [
        sys.executable, TOOL, '--method', 'stcat', '--ref-repo', REF_REPO, '--settings', *settings
    ]
    if REF_PYTHONPATH:
        cmd += ['--ref-pythonpath', REF_PYTHONPATH]
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    report = proc.stdout + proc.stderr[-3000:]
    assert proc.returncode == 0, report
    assert 'PASS' in proc.stdout
    for name in settings:  # every setting compared, in both modes
        for mode in ('eval', 'train'):
            assert f'{name:10s} {mode:5s} losses ' in proc.stdout, report
