"""TubeDETR equals its original code (``tools/analysis_tools/compare_with_reference.py``).

Needs a checkout of antoyang/TubeDETR (``$MMSTVG_TUBEDETR_REPO``, compared at d70c0eed) and a
folder with torchvision for the original code (``$MMSTVG_REF_PYTHONPATH``, e.g.
``pip install --no-deps --target DIR torchvision==0.28.0``; never in mmstvg's environment);
``configs/tubedetr/README.md`` tells how to get both. Without them the test is skipped.
It builds the original model at its full size for each setting, in a fresh process (the
original code's top-level packages ``models``, ``util``, ``datasets`` must not collide with
this one's imports): 2 to 4 minutes per setting on two CPU cores, all three by default
(``$MMSTVG_COMPARE_SETTINGS`` = a space-separated subset, e.g. ``vidstg hcstvg-v2``).
"""
import os
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'analysis_tools', 'compare_with_reference.py')
REF_REPO = os.environ.get('MMSTVG_TUBEDETR_REPO')
REF_PYTHONPATH = os.environ.get('MMSTVG_REF_PYTHONPATH')


def _skip_reason():
    if not REF_REPO:
        return ('no TubeDETR checkout: set MMSTVG_TUBEDETR_REPO (git clone '
                'https://github.com/antoyang/TubeDETR; git checkout d70c0eed) and '
                'MMSTVG_REF_PYTHONPATH (a folder with torchvision for the original code)')
    if not osp.isfile(osp.join(REF_REPO, 'models', 'tubedetr.py')):
        return f'MMSTVG_TUBEDETR_REPO={REF_REPO} is not a TubeDETR checkout'
    return None


@pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or '')
def test_tubedetr_equals_the_original_code():
    settings = os.environ.get('MMSTVG_COMPARE_SETTINGS', 'vidstg hcstvg-v1 hcstvg-v2').split()
    cmd = [
        sys.executable, TOOL, '--method', 'tubedetr', '--ref-repo', REF_REPO, '--settings',
        *settings
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
