"""Import single module files of a CG-STVG / TA-STVG checkout for module-level equality tests.

The checkouts come from ``$MMSTVG_CGSTVG_REPO`` (HengLan/CGSTVG, compared at f062d84b) and
``$MMSTVG_TASTVG_REPO`` (HengLan/TA-STVG, at 904ad0c3); tests using them are skipped without.
The forks' packages (``models``, ``utils``) are not imported as packages (their ``__init__``
build the whole model and need torchvision, yacs, ...): each needed file is loaded by path
under a private package name, with the few third-party names those files import (timm's
``DropPath`` / ``trunc_normal_``, ``easydict``, torchvision's ``box_area``) given by small
stand-ins when they are not installed (only while importing; nothing stays in
``sys.modules`` under those names).
"""
import importlib
import os
import os.path as osp
import sys
import types
from unittest import mock

import torch

CGSTVG_REPO = os.environ.get('MMSTVG_CGSTVG_REPO')
TASTVG_REPO = os.environ.get('MMSTVG_TASTVG_REPO')


def _stand_ins():
    mods = {}
    try:
        import timm.models.layers  # noqa: F401
    except ImportError:
        from mmcv.cnn.bricks.drop import DropPath
        from mmengine.model.weight_init import trunc_normal_
        timm = types.ModuleType('timm')
        timm_models = types.ModuleType('timm.models')
        layers = types.ModuleType('timm.models.layers')
        layers.DropPath, layers.trunc_normal_ = DropPath, trunc_normal_
        timm.models, timm_models.layers = timm_models, layers
        mods.update({'timm': timm, 'timm.models': timm_models, 'timm.models.layers': layers})
    try:
        import easydict  # noqa: F401
    except ImportError:

        class EasyDict(dict):

            def __getattr__(self, name):
                return self[name]

        easydict = types.ModuleType('easydict')
        easydict.EasyDict = EasyDict
        mods['easydict'] = easydict
    try:
        import torchvision.ops.boxes  # noqa: F401
    except Exception:  # not installed, or an import error of a mismatched build
        boxes = types.ModuleType('torchvision.ops.boxes')
        boxes.box_area = lambda b: (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
        ops = types.ModuleType('torchvision.ops')
        ops.boxes = boxes
        tv = types.ModuleType('torchvision')
        tv.ops = ops
        mods.update({'torchvision': tv, 'torchvision.ops': ops, 'torchvision.ops.boxes': boxes})
    return mods


def load_models_file(repo: str, relpath: str):
    """Load ``<repo>/models/<relpath>`` (e.g. ``vidswin/video_swin_transformer.py``).

    Its package is a private one (``_ref_<id>``) whose sub-packages are namespace stubs, so
    relative imports (``..bert_model.bert_module``) load single files; ``models.*`` absolute
    imports (``models.net_utils``) resolve to the same files.
    """
    root = '_ref_%x' % (abs(hash(osp.abspath(repo))) % (1 << 32))
    parts = relpath[:-3].split('/')
    name = '.'.join([root] + parts)
    models_dir = osp.join(repo, 'models')

    def package(pkg_name, path):
        if pkg_name not in sys.modules:
            pkg = types.ModuleType(pkg_name)
            pkg.__path__ = [path]
            sys.modules[pkg_name] = pkg
        return sys.modules[pkg_name]

    package(root, models_dir)
    for sub in os.listdir(models_dir):
        if osp.isdir(osp.join(models_dir, sub)):
            package(f'{root}.{sub}', osp.join(models_dir, sub))
    stand_ins = _stand_ins()
    # `from models.net_utils import ...` inside the forks: the same private package
    stand_ins['models'] = sys.modules[root]
    # (patch.dict restores sys.modules afterwards: the loaded files stay private)
    with mock.patch.dict(sys.modules, stand_ins):
        if 'models.net_utils' not in sys.modules:
            sys.modules['models.net_utils'] = importlib.import_module(f'{root}.net_utils')
        module = importlib.import_module(name)
    return module


def random_init_(module: torch.nn.Module, seed: int = 0, scale: float = 0.2) -> None:
    """Give every parameter random values (biases, norms and tables included)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * scale)


def spec_exists(repo, relpath):
    return bool(repo) and osp.isfile(osp.join(repo, 'models', relpath))


__all__ = ['CGSTVG_REPO', 'TASTVG_REPO', 'load_models_file', 'random_init_', 'spec_exists']
