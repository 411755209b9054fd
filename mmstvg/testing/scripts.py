"""Import a command-line script of ``tools/`` (or ``demo/``) as a module, by its path.

The scripts are not a package; tests and the GPU kit that call their functions load them
with this instead of putting their folders on ``sys.path`` (Python's recipe "Importing a
source file directly", :mod:`importlib.util`).
"""
import importlib.util
import os.path as osp
import sys
from types import ModuleType

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def import_script(path: str) -> ModuleType:
    """The module of the script at ``path`` (absolute, or relative to the repository root),
    executed once and cached in ``sys.modules`` as ``mmstvg_scripts.<dotted path>``.

    Args:
        path (str): e.g. ``'tools/analysis_tools/get_flops.py'``.

    Returns:
        ModuleType: the script's module (its ``__main__`` block does not run).
    """
    path = osp.abspath(path if osp.isabs(path) else osp.join(REPO, path))
    if not osp.isfile(path):
        raise FileNotFoundError(f'script {path!r} does not exist')
    rel = osp.relpath(path, REPO) if path.startswith(REPO + osp.sep) else osp.basename(path)
    name = 'mmstvg_scripts.' + osp.splitext(rel)[0].replace(osp.sep, '.').replace('-', '_')
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # before exec, as import does (dataclasses, pickling)
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
