from .atomic_local_backend import AtomicLocalBackend
from .resume import find_resumable_checkpoint, is_loadable_checkpoint
from .safe_checkpoint_loader import load_from_local

__all__ = [
    'AtomicLocalBackend', 'find_resumable_checkpoint', 'is_loadable_checkpoint', 'load_from_local'
]
