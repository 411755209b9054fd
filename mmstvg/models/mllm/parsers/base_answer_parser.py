"""Base class of the answer parsers: an MLLM's answer text <-> a tube in original frames/pixels.

A parser (registry ``ANSWER_PARSERS``) owns one answer format both ways:

- :meth:`BaseAnswerParser.format` writes the answer for a tube (the SFT target,
  ``MLLMGrounder.loss``);
- :meth:`BaseAnswerParser.parse` reads a tube back from any text, and **never raises**: an
  answer that cannot be read becomes an empty or degenerate tube that scores 0, with a
  status saying why. ``parse(format(tube)) == tube`` up to the format's precision.

Each parser declares its coordinate frame (:attr:`BaseAnswerParser.coord_frame`, a key of
:data:`COORD_FRAMES`): pixels of the resized input the model saw (``'input_pixels'``), 0-1
(``'unit'``), 0-100 (``'percent'``), 0-1000 (``'permille'``, Qwen2-VL / Qwen3-VL), 0-99 bins
(``'bins99'``, LLaVA-ST), original pixels, or object IDs (STVG-R1: the boxes come from object
tracks). Relative coordinates are relative to the input frame; input pixels map back to the
original video through the pipeline's resize / crop / flip records
(``BaseGrounder.boxes_to_original``), the same mapping every grounder uses. Times map to
original frames through the sampled frames' presentation times
(:mod:`mmstvg.structures.time_grid`).

Statuses (:data:`~mmstvg.structures.PARSE_STATUSES`), one per answer, the most severe that applies:

- ``'no_answer'``: nothing that reads as an answer (empty text, no answer block, no JSON):
  an empty span (scores 0);
- ``'bad_span'``: no readable span, or a span of zero length: an empty span;
- ``'out_of_range'``: the span lies entirely outside the clip (an empty span), or every box
  lies outside the frame (the span is kept, without boxes: vIoU 0);
- ``'no_boxes'``: a span but no box: the span is kept, without boxes (vIoU 0);
- ``'repaired'``: read after fixing something (start and end swapped, a span or boxes
  clipped to the clip / frame, a box with swapped corners, malformed boxes dropped,
  truncated text): the repaired tube, and :attr:`ParseResult.notes` says what was fixed;
- ``'ok'``: read as is.

The empty span is ``(clip_start, clip_start)``: every protocol scores it tIoU = vIoU = 0, and
it survives the submission file (``st_frame = ed_frame + 1``, no box).
"""
import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from mmstvg.structures import (PARSE_FAILURES, PARSE_STATUSES, Tube, frames_to_seconds,
                               seconds_to_frames)

__all__ = [
    'PARSE_FAILURES', 'PARSE_STATUSES', 'COORD_FRAMES', 'AnswerError', 'ParseResult',
    'BaseAnswerParser'
]

#: coordinate frame -> (full-scale value, relative to the input frame)
COORD_FRAMES: Dict[str, Tuple[Optional[float], bool]] = {
    'input_pixels': (None, False),
    'original_pixels': (None, False),
    'unit': (1.0, True),
    'percent': (100.0, True),
    'permille': (1000.0, True),
    'bins99': (99.0, True),
    'object_ids': (None, False),
}


class AnswerError(ValueError):
    """An answer that cannot be read (raised inside a parser, turned into a status).

    Args:
        status (str): one of :data:`PARSE_FAILURES`.
        message (str): what is wrong.
    """

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class ParseResult:
    """A parsed answer: the tube (original frames and pixels) and how it was read.

    Attributes:
        status (str): one of :data:`PARSE_STATUSES`.
        span (tuple[int, int]): half-open original frames (empty on a failure).
        frame_ids (np.ndarray): (K,) original frames with a box.
        bboxes (np.ndarray): (K, 4) xyxy original pixels.
        notes (list[str]): what was repaired or why it failed.
    """
    status: str
    span: Tuple[int, int]
    frame_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    bboxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))
    notes: List[str] = field(default_factory=list)

    @property
    def tube(self) -> Tube:
        return Tube(self.span, self.frame_ids, self.bboxes).merge_repeated()

    @property
    def failed(self) -> bool:
        return self.status in PARSE_FAILURES


def _number(value) -> float:
    """A finite float of ``value`` (a number or a numeric string), else AnswerError."""
    if isinstance(value, bool):
        raise ValueError(f'not a number: {value!r}')
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f'not finite: {value!r}')
    return out


class BaseAnswerParser:
    """An answer format, both ways (module docstring). Subclasses implement :meth:`extract`
    (text -> raw span and boxes) and :meth:`format` (tube -> text).

    Args:
        coord_frame (str, optional): overrides the class's :attr:`coord_frame`.
    """

    #: the coordinate frame of the boxes in the answer (a key of :data:`COORD_FRAMES`)
    coord_frame: str = 'input_pixels'

    def __init__(self, coord_frame: Optional[str] = None) -> None:
        if coord_frame is not None:
            self.coord_frame = coord_frame
        if self.coord_frame not in COORD_FRAMES:
            raise ValueError(f'unknown coordinate frame {self.coord_frame!r}; known: '
                             f'{sorted(COORD_FRAMES)}')

    # ------------------------------------------------------------------ context
    @staticmethod
    def clip_of(meta: Mapping) -> Tuple[int, int]:
        clip = meta.get('clip')
        if clip is None:
            return 0, int(meta['num_frames'])
        return int(clip[0]), int(clip[1])

    @staticmethod
    def time_grid(meta: Mapping) -> tuple:
        """``(frame_inds, frame_times, fps)`` of a sample: its presentation times
        (``SampleMLLMFrames``), else ``(frame - clip start) / fps``."""
        inds = np.asarray(meta['frame_inds'], dtype=np.int64).reshape(-1)
        fps = float(meta['fps'])
        times = meta.get('frame_times')
        if times is None:
            times = (inds - BaseAnswerParser.clip_of(meta)[0]) / fps
        return inds, np.asarray(times, dtype=np.float64).reshape(-1), fps

    def seconds_of(self, frames, meta: Mapping) -> np.ndarray:
        """Seconds (from the sample's time origin) of original frames."""
        return frames_to_seconds(frames, *self.time_grid(meta))

    def frames_of(self, seconds, meta: Mapping) -> np.ndarray:
        """Original frame positions (float) of seconds."""
        return seconds_to_frames(seconds, *self.time_grid(meta))

    @staticmethod
    def input_size(meta: Mapping) -> Tuple[float, float]:
        """(W, H) of the model's input frames."""
        h, w = (meta.get('img_shape') or meta['ori_shape'])[:2]
        return float(w), float(h)

    def to_input_pixels(self, boxes: np.ndarray, meta: Mapping) -> np.ndarray:
        """Boxes of the coordinate frame -> input pixels (original pixels stay so)."""
        scale, relative = COORD_FRAMES[self.coord_frame]
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        if not relative:
            return boxes
        w, h = self.input_size(meta)
        return boxes / scale * np.array([w, h, w, h])

    def from_input_pixels(self, boxes: np.ndarray, meta: Mapping) -> np.ndarray:
        """Input pixels -> the coordinate frame (inverse of :meth:`to_input_pixels`)."""
        scale, relative = COORD_FRAMES[self.coord_frame]
        boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        if not relative:
            return boxes
        w, h = self.input_size(meta)
        return boxes / np.array([w, h, w, h]) * scale

    def frame_limits(self, meta: Mapping) -> np.ndarray:
        """[W, H, W, H] of the frame the answer's boxes live in (its coordinate frame)."""
        scale, relative = COORD_FRAMES[self.coord_frame]
        if relative:
            return np.full(4, scale)
        if self.coord_frame == 'original_pixels':
            h, w = meta['ori_shape'][:2]
            return np.array([w, h, w, h], dtype=np.float64)
        w, h = self.input_size(meta)
        return np.array([w, h, w, h])

    def to_original(self, boxes_input: np.ndarray, meta: Mapping) -> np.ndarray:
        """Input pixels -> original pixels (``BaseGrounder.boxes_to_original``)."""
        if self.coord_frame == 'original_pixels' or len(boxes_input) == 0:
            return np.asarray(boxes_input, dtype=np.float64).reshape(-1, 4)
        import torch

        from mmstvg.models.grounders.base_grounder import BaseGrounder
        out = BaseGrounder.boxes_to_original(
            torch.as_tensor(np.asarray(boxes_input), dtype=torch.float64), dict(meta))
        return out.numpy()

    # ------------------------------------------------------------------ interface
    def extract(self, text: str, meta: Mapping) -> Dict[str, Any]:
        """Read the raw answer of ``text``.

        Returns:
            dict: ``span``: ``(start, end)`` half-open original frame positions (floats,
            unclipped; None when the answer has none), ``boxes``: list of ``(frame,
            [x1, y1, x2, y2])`` in the coordinate frame (or, for ``'object_ids'``, already
            ``(frame, box)`` in original pixels), ``notes``: repairs done while reading.

        Raises:
            AnswerError: the answer cannot be read (its status says why).
        """
        raise NotImplementedError

    def format(self, span: Sequence[int], frame_ids: Sequence[int], boxes: np.ndarray,
               meta: Mapping) -> str:
        """The answer text of a tube.

        Args:
            span (Sequence[int]): half-open original frames.
            frame_ids (Sequence[int]): (K,) sampled frames inside the span.
            boxes (np.ndarray): (K, 4) xyxy boxes at those frames in the model's INPUT pixels
                (the pipeline's ``gt_tube.frame_bboxes``).
            meta (Mapping): the sample's metainfo.
        """
        raise NotImplementedError

    # ------------------------------------------------------------------ parse
    def failure(self,
                status: str,
                meta: Mapping,
                notes: List[str],
                span: Optional[Tuple[int, int]] = None) -> ParseResult:
        """A failed parse: the empty span at the clip's start (or ``span``), no box."""
        start = self.clip_of(meta)[0]
        return ParseResult(status, span or (start, start), notes=list(notes))

    def parse(self, text: Any, meta: Mapping) -> ParseResult:
        """The tube of an answer; never raises (module docstring)."""
        try:
            if not isinstance(text, str) or not text.strip():
                return self.failure('no_answer', meta, ['empty answer'])
            raw = self.extract(text, meta)
            return self._finish(raw, meta)
        except AnswerError as err:
            return self.failure(err.status, meta, [str(err)])
        except Exception as err:  # a parser never raises: an unreadable answer scores 0
            return self.failure('no_answer', meta, [f'unreadable answer: {err!r}'])

    def _finish(self, raw: Mapping, meta: Mapping) -> ParseResult:
        notes = list(raw.get('notes') or [])
        if raw.get('span') is None:
            raise AnswerError('bad_span', 'no span in the answer')
        try:
            s, e = (_number(v) for v in raw['span'])
        except (TypeError, ValueError) as err:
            raise AnswerError('bad_span', f'unreadable span {raw["span"]!r}: {err}') from None
        if e < s:
            s, e = e, s
            notes.append('start and end swapped')
        start, end = int(np.rint(s)), int(np.rint(e))
        if end <= start:
            raise AnswerError('bad_span', f'a span of zero length ({s:.3f}, {e:.3f})')
        lo, hi = self.clip_of(meta)
        if end <= lo or start >= hi:
            raise AnswerError('out_of_range', f'span [{start}, {end}) outside the clip '
                              f'[{lo}, {hi})')
        if start < lo or end > hi:
            notes.append(f'span [{start}, {end}) clipped to the clip [{lo}, {hi})')
            start, end = max(start, lo), min(end, hi)
        frames, boxes, status = self._boxes(raw.get('boxes') or [], meta, notes, lo, hi)
        if status is None:
            status = 'repaired' if notes else 'ok'
        return ParseResult(status, (start, end), frames, boxes, notes)

    def _boxes(self, items, meta, notes, lo, hi):
        """Valid boxes of the answer in original pixels, and a status when they fail."""
        if not items:
            notes.append('no box in the answer')
            return np.zeros(0, np.int64), np.zeros((0, 4)), 'no_boxes'
        frames, boxes, dropped = [], [], 0
        for frame, box in items:
            try:
                box = [_number(v) for v in box]
                frame = int(np.rint(_number(frame)))
                if len(box) != 4:
                    raise ValueError(f'{len(box)} numbers')
            except (TypeError, ValueError):
                dropped += 1
                continue
            frames.append(frame)
            boxes.append(box)
        if dropped:
            notes.append(f'{dropped} malformed box(es) dropped')
        if not boxes:
            notes.append('no readable box in the answer')
            return np.zeros(0, np.int64), np.zeros((0, 4)), 'no_boxes'
        boxes = np.asarray(boxes, dtype=np.float64)
        frames = np.asarray(frames, dtype=np.int64)
        if self.coord_frame != 'object_ids':
            swapped = (boxes[:, 2] < boxes[:, 0]) | (boxes[:, 3] < boxes[:, 1])
            if swapped.any():
                notes.append(f'{int(swapped.sum())} box(es) with swapped corners')
                boxes = np.concatenate([
                    np.minimum(boxes[:, :2], boxes[:, 2:]),
                    np.maximum(boxes[:, :2], boxes[:, 2:])
                ],
                                       axis=1)
            limits = self.frame_limits(meta)
            clipped = np.clip(boxes, 0, limits)
            inside = (clipped[:, 2] > clipped[:, 0]) & (clipped[:, 3] > clipped[:, 1])
            if not inside.any():
                notes.append('every box outside the frame')
                return np.zeros(0, np.int64), np.zeros((0, 4)), 'out_of_range'
            if not np.allclose(clipped, boxes) or not inside.all():
                notes.append('boxes clipped to the frame')
            boxes, frames = clipped[inside], frames[inside]
            boxes = self.to_original(self.to_input_pixels(boxes, meta), meta)
        outside = (frames < lo) | (frames >= hi)
        if outside.any():
            notes.append(f'{int(outside.sum())} box(es) outside the clip dropped')
            frames, boxes = frames[~outside], boxes[~outside]
            if frames.size == 0:
                return frames, boxes.reshape(0, 4), 'out_of_range'
        return frames, boxes, None

    def __repr__(self) -> str:
        return f'{type(self).__name__}(coord_frame={self.coord_frame!r})'
