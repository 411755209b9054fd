"""Session-wide test setup.

Without a GPU, the Triton kernels of ``mmstvg.ops`` are tested through Triton's interpreter.
``@triton.jit`` reads ``TRITON_INTERPRET`` when the kernel module is imported, which
``mmstvg.ops`` does lazily, so setting it here (before any test runs) is enough.

The cache of parsed VidOR box files (``mmstvg.datasets.vidor_box_cache``) goes to a folder of
the test session, never to the user's ``~/.cache``.
"""
import atexit
import os
import shutil
import tempfile

import torch

os.environ['MMSTVG_CACHE_DIR'] = tempfile.mkdtemp(prefix='mmstvg_test_cache_')
atexit.register(shutil.rmtree, os.environ['MMSTVG_CACHE_DIR'], True)

if not torch.cuda.is_available():
    os.environ.setdefault('TRITON_INTERPRET', '1')
