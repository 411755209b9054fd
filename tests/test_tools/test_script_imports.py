"""Tools are scripts run with the package installed (or the repository on ``PYTHONPATH``):
none edits ``sys.path``; helpers shared by scripts live in the package, and tests load a
script's module with :func:`mmstvg.testing.import_script`."""
import glob
import os.path as osp
import re
import sys

import pytest

from mmstvg.testing import import_script
from .conftest import REPO

SYS_PATH_EDIT = re.compile(r'sys\.path\.(insert|append|extend)\(|sys\.path\s*(\+=|=[^=])')


def test_no_script_or_test_edits_sys_path():
    files = [
        f for d in ('tools', 'demo', 'tests', '.dev_scripts')
        for f in glob.glob(osp.join(REPO, d, '**', '*.py'), recursive=True)
    ]
    assert len(files) > 50
    offenders = [
        f'{osp.relpath(f, REPO)}:{n}' for f in files
        for n, line in enumerate(open(f, encoding='utf-8'), 1)
        if SYS_PATH_EDIT.search(line.split('#')[0])
    ]
    # the comparison with an original code base puts THAT checkout (and the folder of what it
    # imports) on sys.path: the original code imports its own modules by absolute names
    # (`import models.transformer`); mmstvg itself is never put there
    reference = 'tools/analysis_tools/compare_with_reference.py'
    assert [o for o in offenders if not o.startswith(reference + ':')] == []
    ref_lines = [
        line for line in open(osp.join(REPO, reference), encoding='utf-8')
        if SYS_PATH_EDIT.search(line.split('#')[0])
    ]
    assert ref_lines and all('ref_' in line and 'REPO' not in line for line in ref_lines)


def test_import_script_loads_a_tool_module_once_without_running_main(tmp_path, capsys):
    script = tmp_path / 'my-tool.py'
    script.write_text("CALLS = []\n\ndef f():\n    return 42\n\n"
                      "if __name__ == '__main__':\n    print('main ran')\n")
    mod = import_script(str(script))
    assert mod.f() == 42 and capsys.readouterr().out == ''
    assert import_script(str(script)) is mod
    assert mod.__name__ in sys.modules and '-' not in mod.__name__
    # a path relative to the repository root
    flops = import_script('tools/analysis_tools/get_flops.py')
    assert flops is import_script(osp.join(REPO, 'tools', 'analysis_tools', 'get_flops.py'))
    with pytest.raises(FileNotFoundError, match='no_such_tool.py'):
        import_script('tools/no_such_tool.py')
