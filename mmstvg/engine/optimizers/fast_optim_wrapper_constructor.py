"""mmengine's default optimiser constructor, with the multi-tensor AdamW / Adam where the device
allows it (issue 28).

PyTorch runs Adam and AdamW one parameter tensor at a time unless ``foreach`` or ``fused`` is
given, and it picks ``foreach`` by itself only for CUDA tensors: on a CPU every step is a loop
over the parameter tensors (a few hundred in the STVG models). This constructor builds the
optimiser as :class:`mmengine.optim.DefaultOptimWrapperConstructor` does (same config keys,
``paramwise_cfg`` included) and, when the config sets neither ``fused`` nor ``foreach`` for
``Adam`` / ``AdamW``, asks PyTorch for the fused kernel (one kernel for all tensors; CPU,
CUDA and the other devices PyTorch lists), else the multi-tensor one, else leaves its default.
PyTorch itself decides what the device allows: it refuses ``fused=True`` for tensors it has no
kernel for, and the next choice is tried. The update is Adam's / AdamW's; only the rounding of
the last bits can differ from the per-tensor loop.

The base schedules (``configs/_base_/schedules/adamw_10e.py``) use it
(``optim_wrapper.constructor='FastOptimWrapperConstructor'``).
"""
from typing import Optional

import torch
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper

from mmstvg.registry import OPTIM_WRAPPER_CONSTRUCTORS

#: optimisers with ``fused`` / ``foreach`` implementations chosen here
MULTI_TENSOR_OPTIMIZERS = ('Adam', 'AdamW')


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class FastOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """:class:`DefaultOptimWrapperConstructor` with fused / multi-tensor Adam(W) where the
    device allows (module docstring). Same arguments."""

    def __call__(self, model: torch.nn.Module) -> OptimWrapper:
        optimizer_cfg = self.optimizer_cfg
        kind = optimizer_cfg.get('type')
        name = kind if isinstance(kind, str) else getattr(kind, '__name__', '')
        if name.split('.')[-1] not in MULTI_TENSOR_OPTIMIZERS or \
                'fused' in optimizer_cfg or 'foreach' in optimizer_cfg:
            return super().__call__(model)
        for choice in (dict(fused=True), dict(foreach=True)):
            self.optimizer_cfg = dict(optimizer_cfg, **choice)
            try:
                return super().__call__(model)
            except RuntimeError:  # PyTorch has no such kernel for these tensors
                continue
            finally:
                self.optimizer_cfg = optimizer_cfg
        return super().__call__(model)


def multi_tensor_choice(optimizer: torch.optim.Optimizer) -> Optional[str]:
    """``'fused'``, ``'foreach'`` or None (the per-tensor loop): what ``optimizer`` runs."""
    defaults = optimizer.defaults
    if defaults.get('fused'):
        return 'fused'
    if defaults.get('foreach'):
        return 'foreach'
    return None
