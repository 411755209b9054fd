"""Clear errors for checkpoints that cannot be used: refused, unreadable, or not covering the
model.

Checkpoints load through ``torch.load(weights_only=True)`` (torch's default since 2.6) with
the allow-list of :mod:`mmstvg.utils.compat`; mmstvg never retries with
``weights_only=False``. What goes wrong is told apart, because the right reaction differs:

- :class:`UnsafeCheckpointError`: the file is intact but holds pickled objects outside the
  allow-list (a pickled object whose unpickling could run code). It is refused, never skipped.
- :class:`CorruptCheckpointError`: the file cannot be read at all (0 bytes, truncated, random
  bytes, not a PyTorch file). Auto-resume may skip such a file and use an older one.
- :class:`IncompleteCheckpointError`: the file reads but its weights do not cover the model
  (see :func:`check_state_dict_coverage`).

torch's own message for a refusal is long, coloured (ANSI codes) and advises reloading with
``weights_only=False``; :func:`describe_load_error` keeps only what was refused.
"""
import os.path as osp
import pickle
import re
from contextlib import contextmanager
from typing import Dict, List, Optional, Sequence, Tuple

ANSI_ESCAPE = re.compile(r'\x1b\[[0-9;]*[A-Za-z]')
# Messages of torch's weights-only unpickler that mean "these bytes are not a valid pickle"
# (what random bytes or a cut file produce), as opposed to "a valid pickle that needs a global
# outside the allow-list". Anything else from the weights-only unpickler counts as a refusal:
# an unknown message stops a run rather than letting auto-resume skip (and later overwrite)
# a file that may be intact.
_CORRUPT_PICKLE = re.compile(
    r'Unsupported operand|String is too long|persistent_load id|Only persistent_load of '
    r'storage|unsupported persistent id|Can only (append to|extend) lists|Can only \w+ for '
    r'dict')
_SAFE_LOADER_FAILED = 'Weights only load failed'


class CheckpointError(RuntimeError):
    """A checkpoint cannot be used (base of the errors below)."""


class UnsafeCheckpointError(CheckpointError):
    """A checkpoint holds pickled objects outside the safe loader's allow-list."""


class CorruptCheckpointError(CheckpointError):
    """A checkpoint file cannot be read: empty, truncated, or not a PyTorch file."""


class IncompleteCheckpointError(CheckpointError):
    """A checkpoint's weights do not cover the model it is loaded into."""


def clean_message(text: str) -> str:
    """``text`` without ANSI escape codes."""
    return ANSI_ESCAPE.sub('', text)


def is_refusal(exc: BaseException) -> bool:
    """Whether ``exc`` (raised by ``torch.load(weights_only=True)``) is the safe loader
    refusing an intact file, rather than the file being unreadable."""
    if not isinstance(exc, pickle.UnpicklingError):
        return False
    text = str(exc)
    return _SAFE_LOADER_FAILED in text and not _CORRUPT_PICKLE.search(text)


def describe_load_error(exc: BaseException) -> str:
    """One line saying why ``torch.load`` failed, without torch's advice to load with
    ``weights_only=False`` (its "This file can still be loaded ..." text), its documentation
    link and its ANSI codes."""
    text = clean_message(str(exc))
    if _SAFE_LOADER_FAILED in text:
        text = text.split('\n\nCheck the documentation of torch.load')[0]
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        text = lines[-1] if lines else ''
        text = text.split('WeightsUnpickler error:')[-1]
        text = text.split(' Please use `torch.serialization')[0].strip()
    else:
        text = ' '.join(text.split())
    if not text:
        text = {EOFError: 'the file ends before the data does'}.get(type(exc), 'no message')
    return f'{type(exc).__name__}: {text}'


def unsafe_error(path: str, exc: BaseException) -> UnsafeCheckpointError:
    """The :class:`UnsafeCheckpointError` for ``path`` refused with ``exc``."""
    return UnsafeCheckpointError(
        f'refused to load checkpoint {path}: it contains pickled objects outside the '
        f'allow-list of torch\'s weights-only loader ({describe_load_error(exc)}). Loading it '
        'could execute code. If you trust the file, re-save its tensors with '
        '`torch.save({"state_dict": ...})` in a trusted environment; mmstvg never loads '
        'checkpoints without the weights-only safeguard.')


def corrupt_error(path: str, exc: BaseException) -> CorruptCheckpointError:
    """The :class:`CorruptCheckpointError` for ``path`` unreadable with ``exc``."""
    try:
        size = f'{osp.getsize(path)} bytes'
    except OSError:
        size = 'size unknown'
    return CorruptCheckpointError(
        f'cannot read checkpoint {path} ({size}): the file is empty, truncated, corrupt or '
        f'not a PyTorch checkpoint ({describe_load_error(exc)})')


def safe_torch_load(path: str, map_location=None):
    """``torch.load(path, weights_only=True)`` whose failures name the file.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        UnsafeCheckpointError: the file is intact but refused by the safe loader.
        CorruptCheckpointError: the file cannot be read.
    """
    import torch
    path = osp.expanduser(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint {path} does not exist')
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001  (classified and re-raised naming the file)
        if is_refusal(exc):
            raise unsafe_error(path, exc) from None
        raise corrupt_error(path, exc) from None


@contextmanager
def explain_unsafe_checkpoint(path: Optional[str]):
    """Re-raise a safe-loader refusal inside the block as :class:`UnsafeCheckpointError`.

    Loads through mmengine inside :func:`mmstvg.engine.safe_checkpoint_loading` already raise
    it; this covers direct ``torch.load`` calls.
    """
    try:
        yield
    except pickle.UnpicklingError as e:
        if not is_refusal(e):
            raise
        raise unsafe_error(path, e) from None


# ---------------------------------------------------------------------- coverage of the model
def _revise(keys: Sequence[str], revise_keys: Sequence[Tuple[str, str]]) -> Dict[str, str]:
    out = {}
    for key in keys:
        new = key
        for pattern, repl in revise_keys:
            new = re.sub(pattern, repl, new)
        out[new] = key
    return out


def _listing(names: List[str], limit: int = 8) -> str:
    shown = ', '.join(names[:limit])
    return shown + (f', ... ({len(names) - limit} more)' if len(names) > limit else '')


def check_state_dict_coverage(model,
                              checkpoint,
                              filename: str,
                              allow_partial: bool = False,
                              revise_keys: Sequence[Tuple[str, str]] = ((r'^module\.', ''), ),
                              logger='current') -> Dict[str, List[str]]:
    """Check that a checkpoint's weights cover ``model`` exactly.

    Every entry of ``model.state_dict()`` (parameters and persistent buffers, frozen ones
    included: mmengine saves the whole state dict) must be in the checkpoint with the same
    shape, and the checkpoint must hold nothing else. Keys are compared after
    ``revise_keys``, as mmengine's ``load_checkpoint`` does (``module.`` prefixes of DDP
    checkpoints removed).

    Args:
        model (nn.Module): the model the checkpoint is loaded into.
        checkpoint (dict): the loaded file: a dict with ``state_dict``, or a state dict.
        filename (str): the file, for messages.
        allow_partial (bool): log the differences as a warning instead of raising.
        revise_keys: (pattern, replacement) applied to the checkpoint's keys.
        logger: mmengine logger for the warning.

    Returns:
        dict: ``missing``, ``unexpected`` and ``mismatched`` key lists (empty when the
        checkpoint covers the model).

    Raises:
        IncompleteCheckpointError: any list is non-empty and ``allow_partial`` is False.
    """
    from mmengine.logging import print_log
    if not isinstance(checkpoint, dict):
        raise IncompleteCheckpointError(
            f'checkpoint {filename} holds a {type(checkpoint).__name__}, not a dict of weights')
    state_dict = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state_dict, dict):
        raise IncompleteCheckpointError(
            f'checkpoint {filename}: its state_dict is a {type(state_dict).__name__}')
    ckpt = _revise([k for k in state_dict if k != '_metadata'], revise_keys)
    own = model.state_dict()
    missing = [k for k in own if k not in ckpt]
    unexpected = [ckpt[k] for k in ckpt if k not in own]
    mismatched = []
    for k in own:
        if k in ckpt:
            theirs = getattr(state_dict[ckpt[k]], 'shape', None)
            if theirs is not None and tuple(theirs) != tuple(own[k].shape):
                mismatched.append(f'{k} {tuple(theirs)} vs model {tuple(own[k].shape)}')
    report = dict(missing=missing, unexpected=unexpected, mismatched=mismatched)
    if not any(report.values()):
        return report
    loaded = len(own) - len(missing) - len(mismatched)
    parts = [
        f'checkpoint {filename} covers {loaded} of the {len(own)} weights of the model '
        f'({type(model).__name__})'
    ]
    if missing:
        parts.append(f'{len(missing)} missing: {_listing(missing)}')
    if mismatched:
        parts.append(f'{len(mismatched)} with another shape: {_listing(mismatched)}')
    if unexpected:
        parts.append(f'{len(unexpected)} not in the model: {_listing(unexpected)}')
    message = '; '.join(parts)
    if allow_partial:
        print_log(
            f'{message} (partial load allowed: the weights not loaded keep their '
            'initial values)',
            logger=logger,
            level=30)
        return report
    raise IncompleteCheckpointError(
        f'{message}. Is it the checkpoint of this config? To load it partially on purpose, '
        'pass --allow-partial-load (tools) / allow_partial_load=True (init_grounder) or set '
        '`allow_partial_load = True` in the config.')
