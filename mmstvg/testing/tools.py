"""Load a script of the mmstvg source tree (``tools/``, ``demo/``) as a module in a test."""
import importlib.util
import os.path as osp
from types import ModuleType
from typing import Optional

#: Root of the mmstvg source tree (where ``configs/``, ``tools/`` and ``demo/`` are).
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool_script(rel_path: str, name: Optional[str] = None) -> ModuleType:
    """Import ``<repo>/<rel_path>`` (e.g. ``'tools/analysis_tools/eval_submission.py'``)
    as a fresh module, to call its functions or its ``main(argv)`` in the test process.

    Args:
        rel_path (str): the script, relative to the repository root.
        name (str, optional): module name. Defaults to ``'tool_<file stem>'``.

    Raises:
        FileNotFoundError: no such script (the tests need the mmstvg source tree).
    """
    path = osp.join(REPO_ROOT, rel_path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{rel_path} not found at {path}')
    name = name or 'tool_' + osp.splitext(osp.basename(rel_path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
