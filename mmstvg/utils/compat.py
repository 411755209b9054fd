"""Shims for known breakages of the pinned stack. Each is applied once, here, by
:func:`apply_compat` (called from ``mmstvg/__init__.py``), and carries its upstream reference.

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
"""
import sys
import types

_APPLIED = False


def _patch_mmaction_missing_drn():
    """Shim 1: provide ``mmaction.models.localizers.drn`` if the wheel lacks it."""
    import importlib.util
    try:
        spec = importlib.util.find_spec('mmaction.models.localizers.drn')
    except (ImportError, ValueError):
        spec = None
    if spec is not None or 'mmaction.models.localizers.drn' in sys.modules:
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


def apply_compat():
    """Apply every shim once (idempotent)."""
    global _APPLIED
    if _APPLIED:
        return
    _allow_mmengine_checkpoint_globals()
    try:
        import mmaction  # noqa: F401
    except ImportError:  # mmaction2 is optional for feature-only use
        pass
    else:
        _patch_mmaction_missing_drn()
        _disable_mmaction_multimodal()
    _APPLIED = True
