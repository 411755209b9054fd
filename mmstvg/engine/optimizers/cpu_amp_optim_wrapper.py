"""Mixed precision on CPU: bfloat16 autocast without a loss scaler.

mmengine 0.10.7's ``AmpOptimWrapper`` asserts a CUDA/NPU/MLU/MUSA device in ``__init__`` (and
its ``GradScaler`` is CUDA's), so ``tools/train.py --amp`` cannot run on a CPU-only machine.
On CPU, PyTorch's autocast supports bfloat16, which has float32's exponent range and needs no
loss scaling; this wrapper is mmengine's ``OptimWrapper`` with that autocast context.
``tools/train.py --amp`` picks mmengine's ``AmpOptimWrapper`` when CUDA is available and this
one otherwise.
"""
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper
from mmengine.runner.amp import autocast

from mmstvg.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class CPUAmpOptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose forward runs under CPU bfloat16 autocast.

    Args:
        dtype (str): autocast dtype; only ``'bfloat16'`` is supported by CPU autocast
            for training.
        **kwargs: ``OptimWrapper`` arguments (``optimizer``, ``clip_grad``,
            ``accumulative_counts``).
    """

    def __init__(self, dtype: str = 'bfloat16', **kwargs) -> None:
        if dtype not in ('bfloat16', torch.bfloat16):
            raise ValueError(f'CPUAmpOptimWrapper supports dtype="bfloat16" only, got {dtype}')
        super().__init__(**kwargs)
        self.cast_dtype = torch.bfloat16

    @contextmanager
    def optim_context(self, model: torch.nn.Module):
        with super().optim_context(model), \
                autocast(device_type='cpu', dtype=self.cast_dtype):
            yield
