"""Pick the checkpoint to resume from, skipping unreadable ones.

``tools/train.py --resume`` (no path) calls :func:`find_resumable_checkpoint` instead of
mmengine's ``find_latest_checkpoint``: that one trusts the ``last_checkpoint`` file, so a
truncated checkpoint (a run killed while writing without the atomic backend, a full disk, a
copy cut short) or a half-written ``last_checkpoint`` makes the resume fail. Here every
candidate (``last_checkpoint``'s target first, then ``epoch_*.pth`` / ``iter_*.pth``, newest
first) is opened with torch's safe loader; the first that loads is used and every one skipped
is logged with the reason.

Only files that cannot be read at all (:class:`~mmstvg.utils.checkpoint_safety.
CorruptCheckpointError`: empty, truncated, not a PyTorch file) are skipped. A file that reads
but is refused by the safe loader (``UnsafeCheckpointError``) or is not a training checkpoint
stops the run: skipping it would resume from an older checkpoint and then overwrite it.
"""
import os.path as osp
import re
from glob import glob
from typing import List, Optional, Tuple

from mmengine.logging import print_log

from mmstvg.utils.checkpoint_safety import CheckpointError, CorruptCheckpointError, safe_torch_load


def is_loadable_checkpoint(path: str) -> Tuple[bool, str]:
    """Whether ``path`` can be read at all; returns ``(ok, reason)``.

    Returns ``(False, reason)`` only for a file that cannot be read (empty, truncated,
    corrupt).

    Raises:
        UnsafeCheckpointError: the file reads but the safe loader refuses it.
        CheckpointError: the file reads but is not a training checkpoint (it lacks
            ``state_dict`` or ``meta``), so it cannot be resumed from.
    """
    try:
        ckpt = safe_torch_load(path, map_location='cpu')
    except CorruptCheckpointError as e:
        return False, str(e)
    if not isinstance(ckpt, dict) or not {'state_dict', 'meta'} <= set(ckpt):
        raise CheckpointError(
            f'resume: {path} reads but is not a training checkpoint (it lacks state_dict or '
            'meta); move it out of the work dir or resume from a checkpoint with --resume PATH')
    return True, ''


def _candidates(work_dir: str) -> List[str]:
    found = []
    last = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(last):
        with open(last) as f:
            target = f.read().strip()
        if target:
            found.append(target if osp.isabs(target) else osp.join(work_dir, target))
    numbered = []
    for p in glob(osp.join(work_dir, '*.pth')):
        m = re.fullmatch(r'(epoch|iter)_(\d+)\.pth', osp.basename(p))
        if m:
            numbered.append((int(m.group(2)), p))
    found += [p for _, p in sorted(numbered, reverse=True)]
    seen, unique = set(), []
    for p in found:
        key = osp.abspath(p)
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def find_resumable_checkpoint(work_dir: str, logger: str = 'current') -> Optional[str]:
    """The newest checkpoint of ``work_dir`` that loads, or None (logged).

    Unreadable files are skipped (logged with the reason); see :func:`is_loadable_checkpoint`
    for the files that stop the search with an error instead.

    Args:
        work_dir (str): the run's work directory.
        logger (str): mmengine logger for the messages.
    """
    for path in _candidates(work_dir):
        if not osp.isfile(path):
            print_log(
                f'resume: {path} (named by last_checkpoint) does not exist, skipped',
                logger=logger,
                level=30)
            continue
        ok, reason = is_loadable_checkpoint(path)
        if ok:
            return path
        print_log(f'resume: {reason}; trying an older checkpoint', logger=logger, level=30)
    print_log(
        f'resume: no loadable checkpoint in {work_dir}; training starts from scratch',
        logger=logger,
        level=30)
    return None
