"""STVG-R1's answer: an object ID and a time range, inside ``<answer>`` tags.

STVG-R1 (Zhang et al., 2026, "Incentivizing Instance-Level Reasoning and Grounding in Videos
via Reinforcement Learning", Qwen2.5-VL-7B trained with GRPO) marks every object of the video
with a numeric ID (a detector + tracker, drawn on the frames) and asks the model for the ID of
the target and the time range. Its released ``evaluate.py`` (repository
``XiaowZhang00/stvg-r1``) defines the answer:

- the prompt asks for ``"Target ID: [ID], Time range: [start time to end time]"`` inside
  ``<answer> </answer>``, after reasoning inside ``<think> </think>``, times in seconds with
  two decimals (e.g. ``"Target ID: 1, Time range: 12.54 to 17.83"``);
- ``parse_timestamp_output`` reads the LAST ``<answer>(.*?)</answer>`` block (DOTALL), then
  ``Target ID:\\s*(\\d+)`` and ``Time range:\\s*(\\d+\\.?\\d*)\\s*(?:to|and)\\s*(\\d+\\.?\\d*)``,
  both case-insensitive; the boxes are those of the chosen object's track.

This parser reads exactly that (same regular expressions). What differs, on purpose: their
evaluator turns seconds into frames with ``int(t * fps)`` and drops a query whose processing
raises; here seconds map to frames through the sampled frames' presentation times and a
failure is a status (``no_answer`` without an answer block, ``bad_span`` without a time range,
``no_boxes`` without an ID or without the ID's track), never a dropped query.

The object tracks are not something mmstvg computes: a sample carries them, when a dataset or
a transform provides STVG-R1's preprocessing output, as ``metainfo['object_tracks']`` =
``{id: dict(frame_ids=(K,), bboxes=(K, 4) xyxy original pixels)}``. Without them an answer
still gives its span (status ``no_boxes``: tIoU is scored, vIoU is 0). The coordinate frame is
``'object_ids'``: no coordinates are read.
"""
import re
from typing import Any, Dict, Mapping, Optional, Sequence

import numpy as np

from mmstvg.registry import ANSWER_PARSERS
from .base_answer_parser import AnswerError, BaseAnswerParser

ANSWER_RE = re.compile(r'<answer>(.*?)</answer>', re.DOTALL)
ID_RE = re.compile(r'Target ID:\s*(\d+)', re.IGNORECASE)
TIME_RE = re.compile(r'Time range:\s*(\d+\.?\d*)\s*(?:to|and)\s*(\d+\.?\d*)', re.IGNORECASE)


def _track(tracks: Optional[Mapping], object_id: int):
    if not tracks:
        return None
    for key in (object_id, str(object_id)):
        if key in tracks:
            return tracks[key]
    return None


@ANSWER_PARSERS.register_module(name='stvg_r1')
class STVGR1Parser(BaseAnswerParser):
    """STVG-R1's ``Target ID / Time range`` answer (module docstring).

    Args:
        time_decimals (int): decimals of the times written by :meth:`format`. Defaults to 2
            (STVG-R1's prompt).
    """

    coord_frame = 'object_ids'

    def __init__(self, time_decimals: int = 2) -> None:
        super().__init__()
        self.time_decimals = int(time_decimals)

    def extract(self, text: str, meta: Mapping) -> Dict[str, Any]:
        answers = ANSWER_RE.findall(text)
        if not answers:
            raise AnswerError('no_answer', 'no <answer>...</answer> block')
        answer = answers[-1].strip()
        time = TIME_RE.search(answer)
        if time is None:
            raise AnswerError('bad_span', f'no "Time range: a to b" in the answer {answer!r:.80}')
        span = tuple(self.frames_of([float(time.group(1)), float(time.group(2))], meta))
        found = ID_RE.search(answer)
        notes = []
        boxes = []
        if found is None:
            notes.append('no "Target ID" in the answer')
        else:
            track = _track(meta.get('object_tracks'), int(found.group(1)))
            if track is None:
                notes.append(f'no track of object {found.group(1)} in the sample '
                             '(metainfo["object_tracks"])')
            else:
                boxes = list(
                    zip(
                        np.asarray(track['frame_ids']).tolist(),
                        np.asarray(track['bboxes'], dtype=np.float64).tolist()))
        return dict(span=span, boxes=boxes, notes=notes)

    @staticmethod
    def target_id(frame_ids: Sequence[int], boxes_original: np.ndarray, meta: Mapping) -> int:
        """The ID of the track that best matches a tube (``metainfo['target_object_id']``
        when given; 0 when the sample has no track)."""
        if meta.get('target_object_id') is not None:
            return int(meta['target_object_id'])
        tracks = meta.get('object_tracks') or {}
        from mmstvg.evaluation.functional import elementwise_box_iou
        from mmstvg.structures import Tube
        best, best_iou = 0, -1.0
        for key, track in tracks.items():
            tube = Tube((0, 1), track['frame_ids'], track['bboxes'])
            if tube.frame_ids.size == 0 or len(frame_ids) == 0:
                continue
            iou = float(elementwise_box_iou(tube.interpolate(frame_ids), boxes_original).mean())
            if iou > best_iou:
                best, best_iou = int(key), iou
        return best

    def format(self, span: Sequence[int], frame_ids: Sequence[int], boxes: np.ndarray,
               meta: Mapping) -> str:
        start, end = self.seconds_of([int(span[0]), int(span[1])], meta)
        boxes_original = self.to_original(boxes, meta)  # input pixels -> original
        object_id = self.target_id(frame_ids, boxes_original, meta)
        d = self.time_decimals
        return (f'<answer>Target ID: {object_id}, Time range: {start:.{d}f} to '
                f'{end:.{d}f}</answer>')
