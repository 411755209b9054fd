"""Shims for known breakages of the pinned stack. Each is applied once, here, and carries its
upstream reference.

``import mmstvg`` applies none of them eagerly (it imports neither torch nor mmaction, so that
the evaluation tools and the annotation parsers start fast, issue 28): it calls
:func:`install_compat`, which applies shims 1 and 2 just before ``mmaction.models`` is
imported and shim 3 just after torch is, by whatever code imports them (a registry building an
``mmaction.`` model, ``tools/train.py``, a user script), and at once for those already
imported; it also registers shim 7's after-fork hook (which imports nothing).
:func:`apply_compat` applies them all now (it imports torch and mmaction).

1. mmaction2 1.2.0's PyPI wheel omits ``mmaction/models/localizers/drn`` (the package data
   filter dropped it), so ``import mmaction.models`` raises ModuleNotFoundError.
   Upstream: open-mmlab/mmaction2 issue #2714 ("No module named
   'mmaction.models.localizers.drn'"). We register an empty ``drn`` package whose ``DRN``
   raises a clear error when used; nothing in mmstvg uses DRN.
2. mmaction2 1.2.0's multimodal subpackage (VindLU) is imported by ``mmaction.models``
   whenever ``mmaction.utils.dependency.WITH_MULTIMODAL`` is true (transformers>=4.28 found);
   it needs timm and transformers APIs that transformers 5 removed, so the import fails. We
   force the flag False before ``mmaction.models`` is imported; mmaction then registers its
   "please install" placeholders instead. Upstream: open-mmlab/mmaction2
   ``mmaction/models/multimodal/__init__.py`` (``if WITH_MULTIMODAL: from .vindlu import *``).
3. torch>=2.6 defaults ``torch.load(weights_only=True)``; mmengine 0.10.7 checkpoints carry
   its ``HistoryBuffer`` (message hub, whose state pickles bound methods through
   ``getattr``) and numpy scalars/arrays, so ``Runner.resume`` fails
   with "Weights only load failed". We allow-list exactly those globals with
   ``torch.serialization.add_safe_globals``; we never fall back to ``weights_only=False``.
   Upstream: open-mmlab/mmengine issue #1655 (and PR #1650, which would pass
   weights_only=False: we deliberately do not).
7. PyAV 18.1.1 keeps one ``VideoReformatter`` per thread (``av.video.frame._thread_local``)
   for ``VideoFrame.reformat`` / ``to_ndarray``; its SwsContext scales with a pool of slice
   threads. A forked child (a DataLoader worker) inherits the forking thread's reformatter but
   not its threads, so its first frame conversion waits forever for them (the suite hung in
   CI: every training run after a decode in the test process). Upstream: PyAV-Org/PyAV PR
   #2379 ("Share one SwsContext per thread"), released in 18.1.1. We register an after-fork
   hook that hands the child a fresh reformatter (:func:`_forget_inherited_pyav_reformatter`);
   PyAV is not imported for it (numbered after the private-API shims 4-6 because it was found
   later; it reads PyAV's private thread local).

The rest are not breakages but the few places where mmstvg needs something mmengine 0.10.7
offers only privately. They live here, each with a test in ``tests/test_utils/test_compat.py``
that fails loudly when mmengine changes, so that an upgrade cannot break them silently:

4. :data:`MMENGINE_RUNNER_CFG_KEYS`: the top-level config keys mmengine's ``Runner`` reads
   besides its ``__init__`` arguments (``cfg.get('model_wrapper_cfg')`` ... in
   ``Runner.from_cfg`` / ``wrap_model``). The config check needs the full set of keys the
   runner reads; the test re-derives this list from mmengine's source.
5. :func:`package_config_path`: the file of a ``_base_`` that names another package's config
   (``'mmdet::_base_/default_runtime.py'``), through mmengine's private
   ``Config._get_cfg_path`` (mmengine resolves such bases with it and has no public twin).
6. :func:`local_checkpoint_loader`: mmengine's loader of local checkpoint files
   (``CheckpointLoader`` scheme ``''``) replaced for the duration of a block and restored
   after, through its private ``CheckpointLoader._schemes`` table (``register_scheme`` is
   public, but it cannot restore the previous loader).
"""
import ctypes
import importlib.abc
import importlib.util
import os
import os.path as osp
import sys
import types
from contextlib import contextmanager
from typing import Callable, Iterator, Optional, Tuple

#: Shim 4: top-level config keys that mmengine 0.10.7's ``Runner`` reads outside its
#: ``__init__`` signature (re-derived from its source by tests/test_utils/test_compat.py).
MMENGINE_RUNNER_CFG_KEYS = frozenset({
    'activation_checkpointing', 'compile', 'efficient_conv_bn_eval', 'find_unused_parameters',
    'model_wrapper_cfg', 'sync_bn'
})


def package_config_path(base: str, config_file: str) -> Tuple[str, str]:
    """Shim 5: the file of a ``'<package>::<path>'`` base named in ``config_file``.

    Returns:
        tuple[str, str]: ``(path, scope)`` as mmengine resolves the base.

    Raises:
        ModuleNotFoundError / FileNotFoundError: the package or config is not installed.
    """
    from mmengine.config import Config
    return Config._get_cfg_path(base, config_file)


@contextmanager
def local_checkpoint_loader(loader: Callable) -> Iterator[None]:
    """Shim 6: ``loader`` reads local checkpoint files for mmengine inside the block.

    Args:
        loader (callable): ``loader(filename, map_location)`` -> the loaded checkpoint.
    """
    from mmengine.runner.checkpoint import CheckpointLoader
    schemes = CheckpointLoader._schemes
    previous = schemes.get('')
    schemes[''] = loader
    try:
        yield
    finally:
        if previous is None:
            schemes.pop('', None)
        else:
            schemes[''] = previous


_APPLIED = set()


def _mmaction_has_drn() -> bool:
    """Whether the installed mmaction ships ``models/localizers/drn`` (found from its files,
    without importing ``mmaction.models``)."""
    spec = importlib.util.find_spec('mmaction')
    if spec is None or not spec.submodule_search_locations:
        return True  # nothing to patch
    return any(
        osp.isdir(osp.join(loc, 'models', 'localizers', 'drn'))
        for loc in spec.submodule_search_locations)


def _patch_mmaction_missing_drn():
    """Shim 1: provide ``mmaction.models.localizers.drn`` if the wheel lacks it."""
    if _mmaction_has_drn() or 'mmaction.models.localizers.drn' in sys.modules:
        return

    class DRN:
        """Placeholder for mmaction2's DRN localizer, missing from its 1.2.0 wheel."""

        def __init__(self, *args, **kwargs):
            raise ImportError(
                'mmaction.models.localizers.drn is missing from the mmaction2 1.2.0 wheel '
                '(open-mmlab/mmaction2#2714); install mmaction2 from source to use DRN.')

    pkg = types.ModuleType('mmaction.models.localizers.drn')
    pkg.__path__ = []  # a namespace-like package so that `.drn.drn` resolves to our module
    mod = types.ModuleType('mmaction.models.localizers.drn.drn')
    mod.DRN = DRN
    pkg.drn = mod
    pkg.DRN = DRN
    sys.modules[pkg.__name__] = pkg
    sys.modules[mod.__name__] = mod


def _disable_mmaction_multimodal():
    """Shim 2: keep mmaction's multimodal models (and their transformers imports) off."""
    import mmaction.utils.dependency as dep
    dep.WITH_MULTIMODAL = False
    import mmaction.utils as mmaction_utils
    if hasattr(mmaction_utils, 'WITH_MULTIMODAL'):
        mmaction_utils.WITH_MULTIMODAL = False


def _allow_mmengine_checkpoint_globals():
    """Shim 3: allow-list the non-tensor globals that mmengine checkpoints contain."""
    import numpy as np
    import torch
    try:
        from mmengine.logging.history_buffer import HistoryBuffer
    except ImportError:  # mmstvg.ops is importable with torch alone
        return

    # HistoryBuffer's state holds bound methods (its statistics table), which pickle writes
    # as `getattr(buffer, 'mean')`: `getattr` must be allowed. It only looks attributes up:
    # torch's weights-only unpickler still refuses to call anything not allow-listed
    # (REDUCE checks the callable), so no code runs through it.
    safe = [HistoryBuffer, getattr, np.ndarray, np.dtype]
    # numpy pickles arrays/scalars through these reconstructors (numpy>=2 keeps `_core`).
    try:
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct, scalar
    safe += [_reconstruct, scalar]
    # dtype classes (np.dtypes.Float64DType ...) appear in pickled dtypes on numpy>=1.25.
    if hasattr(np, 'dtypes'):
        safe += [getattr(np.dtypes, n) for n in dir(np.dtypes) if n.endswith('DType')]
    torch.serialization.add_safe_globals(safe)


def _forget_inherited_pyav_reformatter() -> None:
    """Shim 7, in a forked child: the forking thread's PyAV reformatter is set aside, so that
    PyAV builds a new one (with its own slice threads) at the child's first conversion.

    The inherited one is never freed: freeing its SwsContext would join slice threads that do
    not exist in the child. One reference is leaked on purpose (at most one object per fork);
    the memory is the parent's, shared copy-on-write.
    """
    frame_module = sys.modules.get('av.video.frame')
    local = getattr(frame_module, '_thread_local', None)
    reformatter = getattr(local, 'reformatter', None)
    if reformatter is not None:
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(reformatter))
        local.reformatter = None


def _apply(shim: str) -> None:
    """Apply one group of shims once: ``'mmaction'`` (1, 2) or ``'torch'`` (3)."""
    if shim in _APPLIED:
        return
    _APPLIED.add(shim)
    if shim == 'torch':
        _allow_mmengine_checkpoint_globals()
        return
    try:
        import mmaction  # noqa: F401
    except ImportError:  # mmaction2 is optional for feature-only use
        return
    _patch_mmaction_missing_drn()
    _disable_mmaction_multimodal()


class _CompatFinder(importlib.abc.MetaPathFinder):
    """Applies shims 1 and 2 before ``mmaction.models`` is imported and shim 3 after torch
    is (a finder first on ``sys.meta_path`` that finds nothing itself)."""

    def find_spec(self, fullname: str, path, target=None):
        if fullname == 'mmaction.models':
            _apply('mmaction')
        elif fullname == 'torch' and 'torch' not in _APPLIED:
            return self._after_import(fullname, path, target, lambda: _apply('torch'))
        return None

    def _after_import(self, fullname: str, path, target, callback: Callable):
        """The spec the other finders give, its module running ``callback`` once loaded."""
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, 'find_spec'):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is None or not hasattr(spec.loader, 'exec_module'):
            return spec
        spec.loader = _ThenLoader(spec.loader, callback)
        return spec


class _ThenLoader(importlib.abc.Loader):
    """``loader``, then ``callback()`` once the module has run."""

    def __init__(self, loader, callback: Callable) -> None:
        self.loader, self.callback = loader, callback

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        self.loader.exec_module(module)
        # the module's loader is the real one (torch's source and resources read through it)
        module.__loader__ = module.__spec__.loader = self.loader
        self.callback()

    def __getattr__(self, name: str):
        return getattr(self.loader, name)


_FINDER: Optional[_CompatFinder] = None


def install_compat() -> None:
    """Apply the shims when their modules are imported (module docstring); at once for
    those already imported. Imports neither torch nor mmaction. Idempotent."""
    global _FINDER
    if _FINDER is None:
        _FINDER = _CompatFinder()
        sys.meta_path.insert(0, _FINDER)
        # shim 7: looks PyAV up in sys.modules at each fork (imports nothing now)
        os.register_at_fork(after_in_child=_forget_inherited_pyav_reformatter)
    if 'torch' in sys.modules:
        _apply('torch')
    if 'mmaction' in sys.modules:
        _apply('mmaction')


def apply_compat():
    """Apply every shim now (idempotent; imports torch and mmaction)."""
    install_compat()
    _apply('torch')
    _apply('mmaction')
