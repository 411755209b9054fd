from .atomic_local_backend import AtomicLocalBackend
from .resume import find_resumable_checkpoint, is_loadable_checkpoint

__all__ = ['AtomicLocalBackend', 'find_resumable_checkpoint', 'is_loadable_checkpoint']
