"""Local checkpoint files read through mmengine with errors that name the file.

mmengine's ``load_from_local`` (``CheckpointLoader`` scheme ``''``) calls ``torch.load`` and
lets its exceptions through: a 0-byte file gives ``EOFError`` with no message, random bytes an
``IndexError`` or torch's generic "Weights only load failed" text, none of them naming the
file. :func:`load_from_local` is the same ``torch.load(weights_only=True)`` through
:func:`mmstvg.utils.checkpoint_safety.safe_torch_load`, so a load fails with
``CorruptCheckpointError`` or ``UnsafeCheckpointError`` naming the file.

It is mmengine's loader only inside :func:`safe_checkpoint_loading` blocks: the tools
(``tools/train.py``, ``tools/test.py``, ``tools/data/extract_features.py``) run their Runner
in one, so ``load_from``, ``--resume`` and ``init_cfg=dict(type='Pretrained')`` get it;
``init_grounder`` reads checkpoints with :func:`safe_torch_load` directly. Importing mmstvg
changes nothing in mmengine: other OpenMMLab code in the same process keeps mmengine's own
loader (which, on torch >= 2.6, is ``torch.load(weights_only=True)`` too, only with less
helpful errors).
"""
from contextlib import contextmanager
from typing import Iterator

from mmstvg.utils.checkpoint_safety import safe_torch_load
from mmstvg.utils.compat import local_checkpoint_loader


def load_from_local(filename: str, map_location=None):
    """Load a local checkpoint file with torch's safe loader (errors name the file)."""
    return safe_torch_load(filename, map_location=map_location)


@contextmanager
def safe_checkpoint_loading() -> Iterator[None]:
    """mmengine reads local checkpoints with :func:`load_from_local` inside the block (and
    with its own loader again after it)."""
    with local_checkpoint_loader(load_from_local):
        yield
