"""Conversion between mmstvg tubes and the HC-STVG challenge submission format (pure python).

Submission file (``tools/test.py --submit FILE``), read by the challenge's ``eval_hcvg.py``::

    {"<qid>": {"st_frame": s, "ed_frame": e,            # inclusive ends
               "bbox": {"<frame_id>": [x1, y1, x2, y2], ...}}}

Frame base: **1-based**, i.e. the HC-STVG annotations' own numbering, because
``eval_hcvg.py`` matches prediction and GT boxes by their frame-id string keys and the
challenge GT is numbered like the annotations, whose ``st_frame`` is "the first frame index in
the bboxes (start with 1)" (HC-STVG README; the data agree: ``st_frame == floor(st_time * fps)
+ 1``, e.g. a tube starting at 0.011 s has ``st_frame`` 1). mmstvg frames are 0-based, so the
conversion is done once, here: frame ``f`` <-> key ``str(f + 1)``; span ``[s, e)`` <->
``st_frame = s + 1``, ``ed_frame = e`` (inclusive, 1-based). The key of an entry is the qid
(HC-STVG: the video file name, as the challenge expects).

A submission holds one box for every frame of the predicted span
(:meth:`mmstvg.structures.Tube.densify`): the challenge counts GT frames that carry a
predicted box, so sparse boxes would lower its tIoU/vIoU.

Reading a submission checks every entry (:func:`check_submission_entry`): ``st_frame`` and
``ed_frame`` integers with ``1 <= st_frame <= ed_frame``; ``bbox`` a dict whose keys are
1-based frame numbers written as integers (``"12"``) and whose values are 4 finite numbers
with ``x1 <= x2`` and ``y1 <= y2``; given the videos' frame counts, no ``ed_frame`` or box
past the last frame (:func:`check_tube_in_video`). :func:`parse_submission` collects the
problems of every malformed entry by qid; :func:`submission_to_tubes` raises
:class:`InvalidSubmissionError` listing all of them. (Duplicate qids or frame keys are
refused when the file is read: :func:`mmstvg.utils.load_json`.)

An entry is checked and converted as whole arrays (:func:`entry_arrays`: the keys and values
of its ``bbox`` gathered by C-level ``map`` and checked with numpy, no Python loop per box,
issue 28); only an entry that fails those checks is looked at box by box, to say what is
wrong in the messages above.
"""
import math
from itertools import chain
from typing import Dict, List, Mapping, Optional, Tuple

import numpy as np

from mmstvg.structures.tube import Tube

SUBMISSION_FRAME_BASE = 1  # submission frame id = mmstvg 0-based frame + 1


def tube_to_submission_entry(span, frame_ids, bboxes, densify: bool = True) -> dict:
    """Submission entry of one tube (predicted or GT).

    Args:
        span (Sequence[int]): half-open 0-based ``(start, end)``.
        frame_ids (array-like): (K,) 0-based frames that carry a box.
        bboxes (array-like): (K, 4) xyxy boxes in original pixels.
        densify (bool): write one (interpolated) box per frame of the span; otherwise the
            given boxes only. Defaults to True.

    Returns:
        dict: ``st_frame`` / ``ed_frame`` (1-based inclusive, int) and ``bbox``
        (``{str(frame + 1): [x1, y1, x2, y2]}`` with python floats).
    """
    tube = Tube(span, frame_ids, bboxes)
    tube = tube.densify() if densify else tube.merge_repeated()
    start, end = tube.span
    return dict(
        st_frame=start + SUBMISSION_FRAME_BASE,
        ed_frame=end - 1 + SUBMISSION_FRAME_BASE,
        bbox={
            str(int(f) + SUBMISSION_FRAME_BASE): [float(v) for v in box]
            for f, box in zip(tube.frame_ids, tube.bboxes)
        })


#: what a submission entry must look like (for messages)
SUBMISSION_ENTRY_FORMAT = ('{"st_frame": int >= 1, "ed_frame": int >= st_frame, "bbox": '
                           '{"<1-based frame>": [x1, y1, x2, y2], ...}}')
#: keys of an HC-STVG annotation record that a submission entry never has
_ANNOTATION_KEYS = ('img_num', 'caption', 'English', 'img_size', 'width', 'height')
#: at most this many examples of one problem are spelled out per entry
_MAX_EXAMPLES = 3


class InvalidSubmissionError(ValueError):
    """A submission file, or entries of it, that do not follow the submission format.

    Args:
        message (str): the full message (file, qids, problems, expected format).
        errors (dict[str, list[str]], optional): the problems of each malformed entry, by
            qid.
    """

    def __init__(self, message: str, errors: Optional[Dict[str, List[str]]] = None) -> None:
        super().__init__(message)
        self.errors = dict(errors or {})


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and \
        not isinstance(value, bool)


def _is_finite(value) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def _examples(items: List[str], total: int) -> str:
    text = ', '.join(items[:_MAX_EXAMPLES])
    return text + (f' ... ({total} in all)' if total > _MAX_EXAMPLES else '')


_NUMBER_TYPES = frozenset((int, float))
_BOX_TYPES = frozenset((list, tuple))
#: 10, 100, ..., 10**18: the number of those <= n is the number of digits of n minus 1
_POWERS_OF_TEN = 10**np.arange(1, 19, dtype=np.int64)


def entry_arrays(entry) -> Optional[Tuple[int, int, np.ndarray, np.ndarray]]:
    """A well-formed entry as arrays, checked without a Python loop per box.

    Args:
        entry: the value of one qid in a submission dict.

    Returns:
        tuple | None: ``(start, end, frame_ids, bboxes)``: the 0-based half-open span,
        (K,) int64 0-based frames sorted and (K, 4) float64 boxes, when the entry is well
        formed with python ints and floats (what a JSON file holds); None otherwise (a
        malformed entry, or one with numpy numbers: :func:`check_submission_entry` then
        looks at it box by box).
    """
    if type(entry) is not dict:
        return None
    st, ed, bbox = entry.get('st_frame'), entry.get('ed_frame'), entry.get('bbox')
    if (type(st) is not int or type(ed) is not int or not SUBMISSION_FRAME_BASE <= st <= ed
            or type(bbox) is not dict):
        return None
    keys, values = list(bbox), list(bbox.values())
    if not keys:
        return (st - SUBMISSION_FRAME_BASE, ed - SUBMISSION_FRAME_BASE + 1,
                np.zeros(0, dtype=np.int64), np.zeros((0, 4), dtype=np.float64))
    if not (set(map(type, keys)) == {str} and set(map(type, values)) <= _BOX_TYPES
            and set(map(len, values)) == {4}
            and set(map(type, chain.from_iterable(values))) <= _NUMBER_TYPES):
        return None
    joined = ''.join(keys)
    try:
        frame_ids = np.array(list(map(int, keys)), dtype=np.int64)
    except (ValueError, OverflowError):
        return None
    # canonical 1-based integers ("12", not "012", " 12", "+12", "1_2", "-1" or non-ASCII
    # digits): ASCII keys as long as the decimal digits of their values
    if (not joined.isascii() or frame_ids.min() < SUBMISSION_FRAME_BASE or len(joined)
            != int(np.searchsorted(_POWERS_OF_TEN, frame_ids, 'right').sum()) + len(keys)):
        return None
    frame_ids -= SUBMISSION_FRAME_BASE
    try:
        boxes = np.fromiter(
            chain.from_iterable(values), dtype=np.float64, count=4 * len(values)).reshape(-1, 4)
    except OverflowError:  # an int too large for a float: not finite
        return None
    if not np.isfinite(boxes).all() or ((boxes[:, 2] < boxes[:, 0]) |
                                        (boxes[:, 3] < boxes[:, 1])).any():
        return None
    if frame_ids.size > 1 and (frame_ids[1:] < frame_ids[:-1]).any():
        order = np.argsort(frame_ids, kind='stable')
        frame_ids, boxes = frame_ids[order], boxes[order]
    return st - SUBMISSION_FRAME_BASE, ed - SUBMISSION_FRAME_BASE + 1, frame_ids, boxes


def check_submission_entry(entry) -> List[str]:
    """Every problem of one submission entry (empty when it is well formed).

    Args:
        entry: the value of one qid in a submission dict.

    Returns:
        list[str]: one sentence per problem (frames are named by their key; problems that
        repeat over frames are grouped, with a few examples and the count).
    """
    if entry_arrays(entry) is not None:
        return []
    if not isinstance(entry, Mapping):
        return [f'the entry must be a dict, got {type(entry).__name__} {entry!r:.60}']
    problems = []
    frames = {}
    for key in ('st_frame', 'ed_frame'):
        if key not in entry:
            problems.append(f'missing `{key}`')
        elif not _is_int(entry[key]):
            problems.append(f'`{key}` must be an integer (1-based frame), got '
                            f'{entry[key]!r:.40}')
        elif entry[key] < SUBMISSION_FRAME_BASE:
            problems.append(f'`{key}` must be >= {SUBMISSION_FRAME_BASE} (1-based), got '
                            f'{entry[key]}')
        else:
            frames[key] = int(entry[key])
    if len(frames) == 2 and frames['st_frame'] > frames['ed_frame']:
        problems.append(f'st_frame {frames["st_frame"]} > ed_frame {frames["ed_frame"]} '
                        '(ends are inclusive)')
    if 'bbox' not in entry:
        problems.append('missing `bbox`')
        return problems
    bbox = entry['bbox']
    if not isinstance(bbox, Mapping):
        problems.append(f'`bbox` must be a dict {{"<frame>": [x1, y1, x2, y2]}}, got '
                        f'{type(bbox).__name__}')
        return problems
    bad_keys, bad_boxes, non_finite, inverted = [], [], [], []
    for key, box in bbox.items():
        if not (isinstance(key, str) and key.isascii() and key.isdigit() and str(int(key)) == key
                and int(key) >= SUBMISSION_FRAME_BASE):
            bad_keys.append(repr(key))
            continue
        if not (isinstance(box,
                           (list, tuple)) and len(box) == 4 and all(_is_number(v) for v in box)):
            bad_boxes.append(f'[{key!r}] = {box!r:.40}')
        elif not all(map(_is_finite, box)):
            non_finite.append(f'[{key!r}] = {list(box)}')
        elif box[2] < box[0] or box[3] < box[1]:
            inverted.append(f'[{key!r}] = {list(box)}')
    if bad_keys:
        problems.append(f'`bbox` keys must be 1-based frame numbers written as integers '
                        f'(e.g. "12"), got {_examples(bad_keys, len(bad_keys))}')
    if bad_boxes:
        problems.append('`bbox` values must be [x1, y1, x2, y2] (4 numbers): '
                        f'bbox{_examples(bad_boxes, len(bad_boxes))}')
    if non_finite:
        problems.append('non-finite (NaN/inf) box coordinates: '
                        f'bbox{_examples(non_finite, len(non_finite))}')
    if inverted:
        problems.append('boxes with x2 < x1 or y2 < y1 (boxes are xyxy, not xywh): '
                        f'bbox{_examples(inverted, len(inverted))}')
    return problems


def submission_entry_to_tube(entry: Mapping, qid=None) -> dict:
    """mmstvg tube of one submission entry (inverse of :func:`tube_to_submission_entry`).

    Args:
        entry (Mapping): ``st_frame``, ``ed_frame`` (1-based inclusive) and ``bbox``
            (checked, :func:`check_submission_entry`).
        qid (optional): the entry's qid, for error messages.

    Returns:
        dict: ``span`` (0-based half-open tuple), ``frame_ids`` (K,) int64 sorted and
        ``bboxes`` (K, 4) float64.

    Raises:
        InvalidSubmissionError: the entry is malformed (every problem listed).
    """
    arrays = entry_arrays(entry)
    if arrays is not None:
        return _tube_of_arrays(*arrays)
    problems = check_submission_entry(entry)
    if problems:
        raise InvalidSubmissionError(
            f'submission entry {qid!r}: {"; ".join(problems)} (expected '
            f'{SUBMISSION_ENTRY_FORMAT})', {str(qid): problems})
    return _checked_entry_to_tube(entry)


def _tube_of_arrays(start: int, end: int, frame_ids: np.ndarray, bboxes: np.ndarray) -> dict:
    """:func:`submission_entry_to_tube` of :func:`entry_arrays`."""
    return Tube((start, end), frame_ids, bboxes).to_dict()


def _checked_entry_to_tube(entry: Mapping) -> dict:
    """:func:`submission_entry_to_tube` of an entry already checked (box by box)."""
    start = int(entry['st_frame']) - SUBMISSION_FRAME_BASE
    end = int(entry['ed_frame']) - SUBMISSION_FRAME_BASE + 1
    items = sorted(((int(k) - SUBMISSION_FRAME_BASE, v) for k, v in entry['bbox'].items()),
                   key=lambda kv: kv[0])
    frame_ids = [k for k, _ in items]
    bboxes = [list(map(float, v)) for _, v in items]
    return Tube((start, end), frame_ids, bboxes).to_dict()


def check_tube_in_video(tube: Mapping, num_frames: Optional[int]) -> List[str]:
    """Problems of a parsed submission tube that reaches past the end of its video.

    Args:
        tube (Mapping): ``span`` (0-based half-open) and ``frame_ids`` (0-based), as
            :func:`submission_entry_to_tube` returns it.
        num_frames (int, optional): frames of the video (None: not checked).

    Returns:
        list[str]: one sentence per problem, in the submission's 1-based numbering.
    """
    if not num_frames:
        return []
    num_frames = int(num_frames)
    problems = []
    start, end = tube['span']
    if end > num_frames:
        what = 'st_frame and ed_frame are' if start >= num_frames else 'ed_frame is'
        problems.append(f'{what} beyond the last frame of the video: ed_frame '
                        f'{end - 1 + SUBMISSION_FRAME_BASE} > {num_frames} (the video has '
                        f'{num_frames} frames, 1-based {SUBMISSION_FRAME_BASE}..{num_frames})')
    frame_ids = np.asarray(tube['frame_ids']).reshape(-1)
    beyond = frame_ids[frame_ids >= num_frames]
    if beyond.size:
        keys = [repr(str(int(f) + SUBMISSION_FRAME_BASE)) for f in beyond]
        problems.append(f'`bbox` has boxes beyond the last frame ({num_frames}) of the video: '
                        f'bbox[{_examples(keys, len(keys))}]')
    return problems


def submission_error_message(errors: Mapping[str, List[str]], filename: Optional[str],
                             num_entries: int) -> str:
    """Message listing every malformed entry of a submission, by qid.

    Args:
        errors (Mapping[str, list[str]]): problems by qid (:func:`parse_submission`).
        filename (str, optional): the submission file.
        num_entries (int): entries in the submission.
    """
    lines = [
        f'{filename or "submission"}: {len(errors)} of {num_entries} entries are '
        f'malformed; each entry must be {SUBMISSION_ENTRY_FORMAT}:'
    ]
    lines += [f'  {qid!r}: {"; ".join(problems)}' for qid, problems in errors.items()]
    return '\n'.join(lines)


def load_submission(filename: str):
    """A submission file: the JSON form (:func:`mmstvg.utils.load_json`, strict) or, for a
    ``.npz`` file, the compact form (:mod:`.compact_submission`, a ``{qid: entry}`` mapping
    that :func:`parse_submission` parses as whole arrays).

    Raises:
        JSONFileError / InvalidSubmissionError: the file cannot be read as either (the
            message names it). FileNotFoundError: no such file.
    """
    from .compact_submission import is_compact_submission, load_compact_submission
    if is_compact_submission(filename):
        return load_compact_submission(filename)
    from mmstvg.utils.json_io import load_json
    return load_json(filename)


def parse_submission(
    submission,
    filename: Optional[str] = None,
    num_frames: Optional[Mapping[str, Optional[int]]] = None
) -> Tuple[Dict[str, dict], Dict[str, List[str]]]:
    """Tubes of the well-formed entries of a submission, and the problems of the others.

    Args:
        submission: the parsed submission file (must be a dict ``{qid: entry}``), or a
            compact one (:class:`~.compact_submission.CompactSubmission`, checked as whole
            arrays with the same messages).
        filename (str, optional): the file, for messages.
        num_frames (Mapping[str, int], optional): frames of each query's video; an entry
            whose span or boxes reach past them is malformed
            (:func:`check_tube_in_video`). Queries not in it are not range-checked.

    Returns:
        tuple[dict, dict]: ``{qid: tube}`` (:func:`submission_entry_to_tube`) of the valid
        entries and ``{qid: [problem, ...]}`` of the malformed ones, both in file order.

    Raises:
        InvalidSubmissionError: ``submission`` is not a dict, or is an annotation file
            (its entries carry ``img_num`` / ``caption`` ... and a list of boxes).
    """
    from .compact_submission import CompactSubmission
    if isinstance(submission, CompactSubmission):
        return submission.parse(num_frames)
    name = filename or 'the submission'
    if not isinstance(submission, Mapping):
        hint = ' (a list: a VidSTG annotation file?)' if isinstance(submission, list) else ''
        raise InvalidSubmissionError(
            f'{name} must hold a dict {{qid: entry}}, got {type(submission).__name__}{hint}; '
            f'each entry is {SUBMISSION_ENTRY_FORMAT}')
    if submission and all(
            isinstance(e, Mapping) and any(
                k in e for k in _ANNOTATION_KEYS) and not isinstance(e.get('bbox'), Mapping)
            for e in submission.values()):
        raise InvalidSubmissionError(
            f'{name} is an annotation file (its entries carry '
            f'{"/".join(k for k in _ANNOTATION_KEYS)} and a list of boxes), not a submission: '
            f'pass the annotations as --ann and the predictions as --pred; a submission '
            f'entry is {SUBMISSION_ENTRY_FORMAT}')
    tubes: Dict[str, dict] = {}
    errors: Dict[str, List[str]] = {}
    num_frames = num_frames or {}
    for qid, entry in submission.items():
        qid = str(qid)
        arrays = entry_arrays(entry)
        if arrays is not None:
            tube, problems = _tube_of_arrays(*arrays), []
        else:
            problems = check_submission_entry(entry)
            tube = None if problems else _checked_entry_to_tube(entry)
        if not problems:
            problems = check_tube_in_video(tube, num_frames.get(qid))
        if problems:
            errors[qid] = problems
        else:
            tubes[qid] = tube
    return tubes, errors


def submission_to_tubes(submission, filename: Optional[str] = None) -> Dict[str, dict]:
    """``{qid: tube}`` of a whole submission dict (see :func:`submission_entry_to_tube`).

    Raises:
        InvalidSubmissionError: the submission is not a dict of entries, or some entries are
            malformed (all of them listed, by qid).
    """
    tubes, errors = parse_submission(submission, filename)
    if errors:
        raise InvalidSubmissionError(
            submission_error_message(errors, filename, len(submission)), errors)
    return tubes
