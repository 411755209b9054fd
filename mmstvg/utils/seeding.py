"""Random seeds that depend only on (seed, epoch, rank, worker), never on RNG consumed before.

Exact resume needs the random numbers of epoch ``e`` to be the same whether the process ran
epochs ``0 .. e-1`` first or started from a checkpoint saved after epoch ``e - 1``. Restoring
saved RNG states is not enough: validation after a save, the DataLoader's draw of its workers'
base seed and model initialisation all consume random numbers between the save and the next
epoch in one run and not in the other. So :class:`~mmstvg.engine.hooks.EpochSeedHook`
reseeds at the start of every training epoch:

- the main process (python ``random``, numpy, torch CPU and CUDA) with
  ``derive_seed(seed, epoch)``: the pipeline when ``num_workers=0``, dropout, the DataLoader's
  base seed;
- each DataLoader worker with ``derive_seed(seed, epoch, rank, worker_id)`` through the
  dataset's :class:`EpochSeed`, a value in shared memory that the hook sets in the main
  process and the worker reads before its first sample of the epoch. Persistent workers
  (created once, alive across epochs) see it too, which a ``worker_init_fn`` cannot do.
"""
import random
from typing import Iterator

import numpy as np
import torch


def derive_seed(*values: int) -> int:
    """A seed in ``[0, 2**31)`` determined by ``values`` alone (numpy's ``SeedSequence``)."""
    entropy = [int(v) % (1 << 64) for v in values]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0]) & 0x7FFFFFFF


def seed_process(seed: int) -> None:
    """Seed python ``random``, numpy's global RNG and torch (CPU, and CUDA lazily)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class EpochSeed:
    """A seed per epoch, set in the main process and applied in each DataLoader worker.

    A dataset holds one and calls :meth:`apply_in_worker` at the start of ``__getitem__``.
    The value lives in shared memory, so workers forked (or spawned) before it changes still
    read the current one.
    """

    def __init__(self) -> None:
        self._value = torch.full((1, ), -1, dtype=torch.int64).share_memory_()
        self._applied = -1

    def set(self, seed: int) -> None:
        """Publish the seed of the coming epoch (main process, before the epoch's batches)."""
        self._value.fill_(int(seed))

    def apply_in_worker(self) -> None:
        """In a DataLoader worker: reseed it with ``derive_seed(epoch seed, worker id)`` the
        first time it sees a new epoch seed. No-op in the main process or before any seed."""
        info = torch.utils.data.get_worker_info()
        if info is None:
            return
        seed = int(self._value[0])
        if seed < 0 or seed == self._applied:
            return
        self._applied = seed
        seed_process(derive_seed(seed, info.id))


def iter_datasets(dataset) -> Iterator:
    """``dataset`` and the datasets it wraps (mmengine's Concat/Repeat/ClassBalanced)."""
    yield dataset
    inner = getattr(dataset, 'datasets', None)
    if isinstance(inner, (list, tuple)):
        for d in inner:
            yield from iter_datasets(d)
    elif getattr(dataset, 'dataset', None) is not None:
        yield from iter_datasets(dataset.dataset)
