from .atomic_local_backend import AtomicLocalBackend
from .resume import find_resumable_checkpoint, is_loadable_checkpoint
from .safe_checkpoint_loader import load_from_local, safe_checkpoint_loading
from .work_dir_lock import WorkDirLockedError, lock_work_dir

__all__ = [
    'AtomicLocalBackend', 'find_resumable_checkpoint', 'is_loadable_checkpoint', 'load_from_local',
    'safe_checkpoint_loading', 'WorkDirLockedError', 'lock_work_dir'
]
