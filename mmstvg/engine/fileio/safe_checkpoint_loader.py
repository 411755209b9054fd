"""mmengine's loader of local checkpoint files, replaced by one whose errors name the file.

mmengine's ``load_from_local`` (``CheckpointLoader`` scheme ``''``) calls ``torch.load`` and
lets its exceptions through: a 0-byte file gives ``EOFError`` with no message, random bytes an
``IndexError`` or torch's generic "Weights only load failed" text, none of them naming the
file. This loader, registered for the same scheme when :mod:`mmstvg.engine` is imported, is
the same ``torch.load(weights_only=True)`` through :func:`mmstvg.utils.checkpoint_safety.
safe_torch_load`, so every checkpoint read through mmengine (``load_from``, ``--resume``,
``tools/test.py``, ``init_grounder``, ``init_cfg=dict(type='Pretrained')``) fails with
``CorruptCheckpointError`` or ``UnsafeCheckpointError`` naming the file.
"""
from mmengine.runner.checkpoint import CheckpointLoader

from mmstvg.utils.checkpoint_safety import safe_torch_load


@CheckpointLoader.register_scheme(prefixes='', force=True)
def load_from_local(filename: str, map_location=None):
    """Load a local checkpoint file with torch's safe loader (errors name the file)."""
    return safe_torch_load(filename, map_location=map_location)
