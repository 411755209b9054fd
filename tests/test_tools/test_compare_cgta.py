"""CG-STVG and TA-STVG equal their original code (``compare_with_reference.py --method cgstvg
|tastvg``).

Needs checkouts of HengLan/CGSTVG (``$MMSTVG_CGSTVG_REPO``, compared at f062d84b) and
HengLan/TA-STVG (``$MMSTVG_TASTVG_REPO``, at 904ad0c3) and the original code's extra
dependencies (``$MMSTVG_REF_PYTHONPATH``: folders with yacs and torchvision, joined by
``os.pathsep``; ``configs/cgstvg/README.md`` tells how); each method is skipped without them.
It builds the original models at full size in a fresh process, 5 to 15 minutes per setting on
two CPU cores; ``$MMSTVG_COMPARE_SETTINGS`` picks settings (default: all three).
"""
import os
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'analysis_tools', 'compare_with_reference.py')
REF_PYTHONPATH = os.environ.get('MMSTVG_REF_PYTHONPATH')
METHODS = {'cgstvg': 'MMSTVG_CGSTVG_REPO', 'tastvg': 'MMSTVG_TASTVG_REPO'}


def _skip_reason(method):
    repo = os.environ.get(METHODS[method])
    if not repo:
        return f'no checkout: set {METHODS[method]} and MMSTVG_REF_PYTHONPATH'
    if not osp.isfile(osp.join(repo, 'models', 'vidswin', 'video_swin_transformer.py')):
        return f'{METHODS[method]}={repo} is not a CG-STVG / TA-STVG checkout'
    if not REF_PYTHONPATH:
        return 'set MMSTVG_REF_PYTHONPATH (yacs and torchvision for the original code)'
    return None


@pytest.mark.parametrize('method', sorted(METHODS))
def test_equals_the_original_code(method):
    reason = _skip_reason(method)
    if reason:
        pytest.skip(reason)
    settings = os.environ.get('MMSTVG_COMPARE_SETTINGS', 'hcstvg-v1 hcstvg-v2 vidstg').split()
    cmd = [
        sys.executable, TOOL, '--method', method, '--ref-repo', os.environ[METHODS[method]],
        '--ref-pythonpath', REF_PYTHONPATH, '--settings', *settings
    ]
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    report = proc.stdout + proc.stderr[-3000:]
    assert proc.returncode == 0, report
    assert 'PASS' in proc.stdout, report
    for name in settings:
        for mode in ('eval', 'train'):
            assert f'{name:10s} {mode:5s} losses ' in proc.stdout, report
