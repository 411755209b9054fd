"""Activation checkpointing of a sub-module call (``with_cp`` options of the transformers).

The call's activations are dropped after the forward pass and recomputed during backward
(``torch.utils.checkpoint``, non-reentrant), trading compute for memory. Only active while
training with gradients enabled; at inference the call runs plainly. Dropout inside a
checkpointed call is replayed identically (torch restores the RNG state).
"""
from typing import Callable

import torch
from torch.utils.checkpoint import checkpoint


def checkpoint_call(fn: Callable, enabled: bool, *args, **kwargs):
    """``fn(*args, **kwargs)``, checkpointed when ``enabled`` and gradients are needed."""
    if enabled and torch.is_grad_enabled() and getattr(fn, 'training', True):
        return checkpoint(fn, *args, use_reentrant=False, **kwargs)
    return fn(*args, **kwargs)
