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
(:func:`~.tube_interpolation.densify_tube`): the challenge counts GT frames that carry a
predicted box, so sparse boxes would lower its tIoU/vIoU.
"""
from typing import Dict, Mapping

import numpy as np

from .tube_interpolation import densify_tube, merge_tube_keyframes

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
    start, end = int(np.asarray(span).reshape(-1)[0]), int(np.asarray(span).reshape(-1)[1])
    if densify:
        frames, boxes = densify_tube((start, end), frame_ids, bboxes)
    else:
        frames, boxes = merge_tube_keyframes(frame_ids, bboxes)
    return dict(
        st_frame=start + SUBMISSION_FRAME_BASE,
        ed_frame=end - 1 + SUBMISSION_FRAME_BASE,
        bbox={
            str(int(f) + SUBMISSION_FRAME_BASE): [float(v) for v in box]
            for f, box in zip(frames, boxes)
        })


def submission_entry_to_tube(entry: Mapping) -> dict:
    """mmstvg tube of one submission entry (inverse of :func:`tube_to_submission_entry`).

    Args:
        entry (Mapping): ``st_frame``, ``ed_frame`` (1-based inclusive) and ``bbox``.

    Returns:
        dict: ``span`` (0-based half-open tuple), ``frame_ids`` (K,) int64 sorted and
        ``bboxes`` (K, 4) float64.
    """
    start = int(entry['st_frame']) - SUBMISSION_FRAME_BASE
    end = int(entry['ed_frame']) - SUBMISSION_FRAME_BASE + 1
    items = sorted(((int(k) - SUBMISSION_FRAME_BASE, v)
                    for k, v in (entry.get('bbox') or {}).items()), key=lambda kv: kv[0])
    frame_ids = np.array([k for k, _ in items], dtype=np.int64)
    bboxes = np.array([list(map(float, v)) for _, v in items],
                      dtype=np.float64).reshape(-1, 4)
    return dict(span=(start, end), frame_ids=frame_ids, bboxes=bboxes)


def submission_to_tubes(submission: Mapping) -> Dict[str, dict]:
    """``{qid: tube}`` of a whole submission dict (see :func:`submission_entry_to_tube`)."""
    return {str(qid): submission_entry_to_tube(entry) for qid, entry in submission.items()}
