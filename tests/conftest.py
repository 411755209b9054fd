"""Session-wide test setup.

Without a GPU, the Triton kernels of ``mmstvg.ops`` are tested through Triton's interpreter.
``@triton.jit`` reads ``TRITON_INTERPRET`` when the kernel module is imported, which
``mmstvg.ops`` does lazily, so setting it here (before any test runs) is enough.
"""
import os

import torch

if not torch.cuda.is_available():
    os.environ.setdefault('TRITON_INTERPRET', '1')
