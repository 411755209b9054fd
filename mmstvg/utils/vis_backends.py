"""``--vis-backends NAME ...`` of ``tools/train.py`` and ``tools/test.py``: add visualisation
backends (TensorBoard, WandB ...) to a config's visualizer from the command line.

mmengine's ``--cfg-options`` cannot do it: its ``DictAction`` parses numbers, strings, lists
and tuples, not ``dict(...)``, so ``visualizer.vis_backends=[dict(type=...)]`` reaches the
visualizer as a list of strings and fails; and a list index past the end
(``visualizer.vis_backends.1.type=...``) is refused. Nor can a snippet be one more
``_base_`` of a config: ``default_runtime.py`` already defines ``visualizer``, and mmengine
refuses a key defined by two bases.

A NAME is a snippet ``configs/_base_/visualizers/<NAME>.py`` (``tensorboard``, ``wandb``; add
a file there for another backend) or the path of such a file. A snippet defines
``vis_backends = [dict(type=...), ...]``, the backends it adds; they are appended to
``visualizer.vis_backends`` (the local files stay), each type once. Their settings can then
be changed with ``--cfg-options visualizer.vis_backends.<i>.<key>=...``.
"""
import copy
import glob
import os.path as osp
from typing import List, Optional, Sequence

from .config_check import ConfigError

#: the folder of the named snippets, in the repository (configs/) or an installed package
SNIPPET_DIRS = ('configs/_base_/visualizers', 'mmstvg/.mim/configs/_base_/visualizers')


def _roots() -> List[str]:
    package = osp.dirname(osp.dirname(osp.abspath(__file__)))  # mmstvg/
    return [osp.join(osp.dirname(package), d) for d in SNIPPET_DIRS]


def available_vis_backends() -> List[str]:
    """The NAMEs of the shipped snippets."""
    return sorted({
        osp.splitext(osp.basename(p))[0]
        for root in _roots()
        for p in glob.glob(osp.join(root, '*.py'))
    })


def vis_backend_file(name: str) -> str:
    """The snippet file of ``name`` (a NAME or a path to a ``.py`` file).

    Raises:
        ConfigError: no such snippet (the message lists the shipped ones).
    """
    if name.endswith('.py'):
        if not osp.isfile(name):
            raise ConfigError(f'--vis-backends: {name} does not exist')
        return name
    for root in _roots():
        path = osp.join(root, f'{name}.py')
        if osp.isfile(path):
            return path
    raise ConfigError(f'--vis-backends: no backend named {name!r} (shipped: '
                      f'{", ".join(available_vis_backends())}; or the path of a .py file '
                      'defining vis_backends = [dict(type=...)])')


def add_vis_backends(cfg, names: Optional[Sequence[str]]) -> List[dict]:
    """Append the backends of the snippets ``names`` to ``cfg.visualizer.vis_backends``
    (in place; a type already there is not added twice).

    Args:
        cfg (Config): a loaded config with a ``visualizer``.
        names (Sequence[str], optional): NAMEs or snippet paths; None or empty: nothing.

    Returns:
        list[dict]: the backends added.

    Raises:
        ConfigError: an unknown NAME, a snippet without a ``vis_backends`` list of dicts with
            a ``type``, or a config without a visualizer.
    """
    if not names:
        return []
    from mmengine.config import Config
    if not isinstance(cfg.get('visualizer'), dict):
        raise ConfigError('--vis-backends: the config has no `visualizer` to add backends to')
    backends = list(cfg.visualizer.get('vis_backends') or [])
    types = {b.get('type') for b in backends}
    added = []
    for name in names:
        path = vis_backend_file(name)
        snippet = Config.fromfile(path).get('vis_backends')
        if not isinstance(snippet, (list, tuple)) or not all(
                isinstance(b, dict) and b.get('type') for b in snippet):
            raise ConfigError(f'--vis-backends {name}: {path} must define vis_backends = '
                              '[dict(type=...), ...]')
        for backend in snippet:
            if backend['type'] not in types:
                types.add(backend['type'])
                backends.append(copy.deepcopy(dict(backend)))
                added.append(backends[-1])
    cfg.visualizer.vis_backends = backends
    if 'vis_backends' in cfg:  # the variable of default_runtime.py: the dumped config agrees
        cfg.vis_backends = copy.deepcopy(backends)
    return added


def add_vis_backend_arguments(parser) -> None:
    """Add ``--vis-backends NAME [NAME ...]`` to a tool's argument parser."""
    parser.add_argument(
        '--vis-backends',
        nargs='+',
        metavar='NAME',
        help='also log to these visualisation backends: tensorboard, wandb (snippets in '
        'configs/_base_/visualizers/) or the path of such a snippet')
