"""The compact submission file: the entries of the HC-STVG challenge JSON as numpy arrays in
one ``.npz`` archive (issue 28).

Same content, same numbering as the JSON form (:mod:`.submission`): per query a 1-based
inclusive span and one box per frame, keyed by 1-based frame numbers, ``xyxy`` pixels; only
the container differs. ``tools/test.py --submit FILE.npz`` writes it (``FILE.json`` still
writes the leaderboard's JSON), ``tools/analysis_tools/eval_submission.py --pred FILE.npz``
reads it, and both forms of one prediction score the same under every protocol. Reading it
needs no JSON parsing and no Python object per box: the VidSTG test split's submission
(10,303 queries, about 3 million boxes, 200 MB of JSON) loads many times faster
(``docs/benchmarks.md``).

Arrays (``np.load(..., allow_pickle=False)``; nothing else is read):

===========  ============  ==========================================================
name         shape, dtype  meaning
===========  ============  ==========================================================
``format``   (), str       ``'mmstvg-submission-v1'``
``qids``     (N,), str     the key of each entry (unique)
``spans``    (N, 2), int   ``st_frame``, ``ed_frame`` (1-based, inclusive)
``offsets``  (N + 1,), int entry ``i`` owns boxes ``offsets[i]:offsets[i + 1]``
``frames``   (K,), int     the 1-based frame of each box (the JSON ``bbox`` keys)
``boxes``    (K, 4), float ``[x1, y1, x2, y2]``
===========  ============  ==========================================================

Every entry is checked as the JSON entries are, as whole arrays; an entry that fails is
rebuilt as its JSON entry and checked by :func:`.submission.check_submission_entry`, so the
problems are worded the same in both forms (plus one only this form can have: a frame given
twice, which JSON refuses as a repeated key). An archive whose arrays are missing or
inconsistent is refused as a whole, naming the file.
"""
import os.path as osp
from typing import Dict, Iterator, List, Mapping, Optional, Tuple

import numpy as np

from .submission import (SUBMISSION_FRAME_BASE, InvalidSubmissionError, check_submission_entry,
                         check_tube_in_video)

#: the ``format`` of the archive
COMPACT_FORMAT = 'mmstvg-submission-v1'
#: the file suffix of the compact form
COMPACT_SUFFIX = '.npz'
_ARRAYS = ('format', 'qids', 'spans', 'offsets', 'frames', 'boxes')


def is_compact_submission(filename: str) -> bool:
    """Whether ``filename`` names the compact form (by its suffix, ``.npz``)."""
    return str(filename).lower().endswith(COMPACT_SUFFIX)


class CompactSubmission(Mapping):
    """A compact submission: a read-only ``{qid: entry}`` mapping over its arrays (an entry
    is built as its JSON dict when it is looked up), parsed as a whole by
    :func:`.submission.parse_submission`.

    Args:
        qids (np.ndarray): (N,) keys.
        spans (np.ndarray): (N, 2) int ``st_frame``, ``ed_frame``.
        offsets (np.ndarray): (N + 1,) int.
        frames (np.ndarray): (K,) int 1-based frames.
        boxes (np.ndarray): (K, 4) float ``xyxy``.
        filename (str, optional): the file, for messages.
    """

    def __init__(self,
                 qids: np.ndarray,
                 spans: np.ndarray,
                 offsets: np.ndarray,
                 frames: np.ndarray,
                 boxes: np.ndarray,
                 filename: Optional[str] = None) -> None:
        self.filename = filename
        self.qids = [str(q) for q in qids.tolist()]
        self.spans, self.offsets, self.frames, self.boxes = spans, offsets, frames, boxes
        self._index = {q: i for i, q in enumerate(self.qids)}
        if len(self._index) != len(self.qids):
            seen, repeated = set(), []
            for q in self.qids:
                if q in seen:
                    repeated.append(q)
                seen.add(q)
            raise InvalidSubmissionError(
                f'{filename or "the submission"}: qids given more than once: '
                f'{sorted(set(repeated))[:10]} (each query once)')

    def __len__(self) -> int:
        return len(self.qids)

    def __iter__(self) -> Iterator[str]:
        return iter(self.qids)

    def __contains__(self, qid) -> bool:
        return qid in self._index

    def __getitem__(self, qid: str) -> dict:
        """The entry of ``qid`` in the JSON form (``st_frame``, ``ed_frame``, ``bbox``)."""
        i = self._index[qid]
        a, b = int(self.offsets[i]), int(self.offsets[i + 1])
        return dict(
            st_frame=int(self.spans[i, 0]),
            ed_frame=int(self.spans[i, 1]),
            bbox={
                str(f): box
                for f, box in zip(self.frames[a:b].tolist(), self.boxes[a:b].tolist())
            })

    def parse(
        self,
        num_frames: Optional[Mapping[str, Optional[int]]] = None
    ) -> Tuple[Dict[str, dict], Dict[str, List[str]]]:
        """``({qid: tube}, {qid: problems})`` as :func:`.submission.parse_submission` gives
        them for the JSON form (every check done on whole arrays)."""
        n = len(self.qids)
        counts = np.diff(self.offsets)
        owner = np.repeat(np.arange(n), counts)
        boxes, frames = self.boxes, self.frames

        def per_entry(mask: np.ndarray) -> np.ndarray:
            return np.bincount(owner[mask], minlength=n) > 0

        bad_box = ~np.isfinite(boxes).all(axis=1) | (boxes[:, 2] < boxes[:, 0]) | \
            (boxes[:, 3] < boxes[:, 1])
        bad = per_entry(bad_box) | per_entry(frames < SUBMISSION_FRAME_BASE)
        bad |= (self.spans[:, 0] < SUBMISSION_FRAME_BASE) | (self.spans[:, 0] > self.spans[:, 1])
        # frames in increasing order within each entry (else looked at one by one)
        unsorted = np.zeros(n, dtype=bool)
        if frames.size > 1:
            same = owner[1:] == owner[:-1]
            unsorted = per_entry(np.concatenate([[False], same & (frames[1:] <= frames[:-1])]))
        limits = np.array([(num_frames or {}).get(q) or 0 for q in self.qids], dtype=np.int64)
        last = np.full(n, -1, dtype=np.int64)
        np.maximum.at(last, owner, frames)
        past_end = (limits > 0) & ((self.spans[:, 1] > limits) | (last > limits))
        tubes: Dict[str, dict] = {}
        errors: Dict[str, List[str]] = {}
        zero_based = frames - SUBMISSION_FRAME_BASE
        offsets, spans = self.offsets.tolist(), self.spans.tolist()
        flagged = set(np.flatnonzero(bad | unsorted | past_end).tolist())
        for i, qid in enumerate(self.qids):
            a, b = offsets[i], offsets[i + 1]
            tube = dict(
                span=(spans[i][0] - SUBMISSION_FRAME_BASE,
                      spans[i][1] - SUBMISSION_FRAME_BASE + 1),
                frame_ids=zero_based[a:b],
                bboxes=boxes[a:b])
            if i in flagged:
                tube, problems = self._checked(i, qid, tube, bad[i], unsorted[i], limits[i])
                if problems:
                    errors[qid] = problems
                    continue
            tubes[qid] = tube
        return tubes, errors

    def _checked(self, i: int, qid: str, tube: dict, bad: bool, unsorted: bool,
                 limit: int) -> Tuple[dict, List[str]]:
        """The tube of an entry that the array checks flagged, and its problems, worded as
        for the JSON form."""
        if bad:
            return tube, check_submission_entry(self[qid])
        if unsorted:
            order = np.argsort(tube['frame_ids'], kind='stable')
            ids = tube['frame_ids'][order]
            if (ids[1:] == ids[:-1]).any():
                twice = np.unique(ids[1:][ids[1:] == ids[:-1]]) + SUBMISSION_FRAME_BASE
                return tube, [f'`bbox` gives frames more than once: {twice.tolist()[:3]}']
            tube = dict(tube, frame_ids=ids, bboxes=tube['bboxes'][order])
        return tube, check_tube_in_video(tube, int(limit)) if limit > 0 else []


def load_compact_submission(filename: str) -> CompactSubmission:
    """Read a compact submission file (module docstring).

    Raises:
        InvalidSubmissionError: not such an archive, or arrays missing / inconsistent (the
            message names the file and what is wrong).
        FileNotFoundError: no such file.
    """
    name = str(filename)
    if not osp.isfile(name):
        raise FileNotFoundError(f'submission file {name} does not exist')
    try:
        with np.load(name, allow_pickle=False) as npz:
            missing = [k for k in _ARRAYS if k not in npz.files]
            if missing:
                raise InvalidSubmissionError(
                    f'{name}: not an mmstvg compact submission: no array {missing} (it holds '
                    f'{sorted(npz.files)})')
            arrays = {k: npz[k] for k in _ARRAYS}
    except InvalidSubmissionError:
        raise
    except Exception as err:  # noqa: BLE001  (a damaged or foreign file)
        raise InvalidSubmissionError(
            f'{name}: not a readable compact submission (.npz) file: {err}') from None
    if str(arrays['format']) != COMPACT_FORMAT:
        raise InvalidSubmissionError(
            f'{name}: format {str(arrays["format"])!r}, expected {COMPACT_FORMAT!r}')
    qids, spans, offsets, frames, boxes = (arrays[k] for k in _ARRAYS[1:])
    n, k = len(qids), len(frames)
    problems = []
    if qids.ndim != 1 or qids.dtype.kind != 'U':
        problems.append(f'`qids` must be (N,) strings, got {qids.shape} {qids.dtype}')
    if spans.shape != (n, 2) or spans.dtype.kind not in 'iu':
        problems.append(f'`spans` must be ({n}, 2) integers, got {spans.shape} {spans.dtype}')
    if offsets.shape != (n + 1, ) or offsets.dtype.kind not in 'iu' or (
            offsets.size and (offsets[0] != 0 or offsets[-1] != k or
                              (np.diff(offsets) < 0).any())):
        problems.append(f'`offsets` must be ({n + 1},) integers rising from 0 to {k}')
    if frames.ndim != 1 or frames.dtype.kind not in 'iu':
        problems.append(f'`frames` must be (K,) integers, got {frames.shape} {frames.dtype}')
    if boxes.shape != (k, 4) or boxes.dtype.kind != 'f':
        problems.append(f'`boxes` must be ({k}, 4) floats, got {boxes.shape} {boxes.dtype}')
    if problems:
        raise InvalidSubmissionError(f'{name}: inconsistent compact submission: ' +
                                     '; '.join(problems))
    return CompactSubmission(
        qids,
        spans.astype(np.int64),
        offsets.astype(np.int64),
        frames.astype(np.int64),
        boxes.astype(np.float64, copy=False),
        filename=name)


def save_compact_submission(filename: str, submission: Mapping) -> None:
    """Write ``{qid: entry}`` (JSON-form entries, already checked) as a compact file."""
    qids = list(submission)
    spans = np.array([[e['st_frame'], e['ed_frame']] for e in submission.values()],
                     dtype=np.int64).reshape(-1, 2)
    counts = [len(e['bbox']) for e in submission.values()]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    frames = np.array([int(f) for e in submission.values() for f in e['bbox']], dtype=np.int64)
    boxes = np.array([box for e in submission.values() for box in e['bbox'].values()],
                     dtype=np.float64).reshape(-1, 4)
    with open(filename, 'wb') as f:
        np.savez(
            f,
            format=np.array(COMPACT_FORMAT),
            qids=np.array(qids, dtype=str) if qids else np.zeros(0, dtype='<U1'),
            spans=spans,
            offsets=offsets,
            frames=frames,
            boxes=boxes)
