"""A clear error for checkpoints that torch's safe loader refuses.

Checkpoints load through ``torch.load(weights_only=True)`` (torch's default since 2.6) with
the allow-list of :mod:`mmstvg.utils.compat`; a file that needs any other global (a pickled
object whose unpickling could run code) is refused. torch's message is long and generic; the
tools re-raise it as :class:`UnsafeCheckpointError` naming the file and what to do. mmstvg
never retries with ``weights_only=False``.
"""
import pickle
from contextlib import contextmanager
from typing import Optional


class UnsafeCheckpointError(RuntimeError):
    """A checkpoint holds pickled objects outside the safe loader's allow-list."""


@contextmanager
def explain_unsafe_checkpoint(path: Optional[str]):
    """Re-raise the safe loader's refusal inside the block as UnsafeCheckpointError."""
    try:
        yield
    except pickle.UnpicklingError as e:
        if 'weights only' not in str(e).lower() and 'weights_only' not in str(e):
            raise
        first = next((ln for ln in str(e).splitlines() if 'GLOBAL' in ln or 'global' in ln),
                     str(e).splitlines()[0])
        raise UnsafeCheckpointError(
            f'refused to load checkpoint {path}: it contains pickled objects outside the '
            f'allow-list of torch\'s weights-only loader ({first.strip()}). Loading it could '
            'execute code. If you trust the file, re-save its tensors with '
            '`torch.save({"state_dict": ...})` in a trusted environment; mmstvg does not load '
            'it with weights_only=False.') from e
