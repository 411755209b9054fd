"""A JSON tube answer: the span in seconds and a box at each sampled timestamp.

::

    {"start": 1.25, "end": 3.5,
     "boxes": [{"time": 1.5, "bbox": [x1, y1, x2, y2]}, {"time": 2.0, "bbox": [...]}]}

Times are seconds from the sample's time origin, the presentation times the model was shown
(``SampleMLLMFrames``; Qwen3-VL writes them in its prompt, Qwen2.5-VL encodes them in its
rotary positions); a box's time maps to the original frame through the same time grid, so a
box at a sampled timestamp lands on that sampled frame. Boxes are in the parser's coordinate
frame: ``'input_pixels'`` (Qwen2.5-VL's absolute coordinates on its resized input, the
default), ``'permille'`` (Qwen2-VL / Qwen3-VL's 0-1000), ``'unit'`` or ``'percent'``.

Reading is lenient where it costs nothing: the last JSON object of the text that has a span
is the answer (code fences and prose around it are ignored); ``"span": [start, end]`` is
accepted for ``start`` / ``end``; ``boxes`` may also be ``{"<time>": [x1, y1, x2, y2]}``. A
truncated or otherwise invalid JSON is read with regular expressions (status
``'repaired'``).
"""
import json
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence

import numpy as np

from mmstvg.registry import ANSWER_PARSERS
from .base_answer_parser import AnswerError, BaseAnswerParser

_NUM = r'(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)'
_START_RE = re.compile(r'"start"\s*:\s*' + _NUM)
_END_RE = re.compile(r'"end"\s*:\s*' + _NUM)
_BOX_RE = re.compile(r'"time"\s*:\s*' + _NUM + r'\s*,\s*"bbox"\s*:\s*\[\s*' +
                     r'\s*,\s*'.join([_NUM] * 4) + r'\s*\]')


def _json_objects(text: str) -> List[dict]:
    """Every JSON object (dict) that decodes at some ``{`` of ``text``, in order."""
    decoder = json.JSONDecoder()
    out, i = [], text.find('{')
    while i != -1:
        try:
            obj, end = decoder.raw_decode(text, i)
        except ValueError:
            i = text.find('{', i + 1)
            continue
        if isinstance(obj, dict):
            out.append(obj)
        i = text.find('{', end)
    return out


@ANSWER_PARSERS.register_module(name='json_tube')
class JSONTubeParser(BaseAnswerParser):
    """The JSON tube answer (module docstring).

    Args:
        coord_frame (str): the boxes' coordinate frame. Defaults to 'input_pixels'.
        time_decimals (int): decimals of the times written by :meth:`format`. Defaults to 2.
        coord_decimals (int, optional): decimals of the coordinates written by
            :meth:`format` (0: integers, as the models answer). Defaults to 0 (3 for
            ``'unit'``).
    """

    def __init__(self,
                 coord_frame: str = 'input_pixels',
                 time_decimals: int = 2,
                 coord_decimals: Optional[int] = None) -> None:
        super().__init__(coord_frame)
        self.time_decimals = int(time_decimals)
        self.coord_decimals = (3 if coord_frame == 'unit' else 0) \
            if coord_decimals is None else int(coord_decimals)

    @staticmethod
    def _span_of(obj: Mapping):
        if 'start' in obj and 'end' in obj:
            return obj['start'], obj['end']
        span = obj.get('span')
        if isinstance(span, (list, tuple)) and len(span) == 2:
            return span[0], span[1]
        return None

    def extract(self, text: str, meta: Mapping) -> Dict[str, Any]:
        notes: List[str] = []
        answers = [o for o in _json_objects(text) if self._span_of(o) is not None]
        if answers:
            obj = answers[-1]
            span_s = self._span_of(obj)
            items = obj.get('boxes')
            if isinstance(items, Mapping):
                items = [dict(time=k, bbox=v) for k, v in items.items()]
            if not isinstance(items, (list, tuple)):
                if items is not None:
                    notes.append('`boxes` is not a list')
                items = []
            boxes = []
            for item in items:
                if isinstance(item, Mapping) and 'time' in item and 'bbox' in item:
                    boxes.append((item['time'], item['bbox']))
                else:
                    boxes.append((None, None))  # counted as malformed
        else:
            start, end = _START_RE.search(text), _END_RE.search(text)
            found = _BOX_RE.findall(text)
            if start is None and end is None and not found:
                raise AnswerError('no_answer', 'no JSON tube answer in the text')
            if start is None or end is None:
                raise AnswerError('bad_span', 'no complete span in the (invalid) JSON')
            notes.append('invalid JSON read with regular expressions')
            span_s = (start.group(1), end.group(1))
            boxes = [(m[0], m[1:]) for m in found]
        try:
            seconds = [float(v) for v in span_s]
        except (TypeError, ValueError):
            raise AnswerError('bad_span', f'unreadable span {span_s!r}') from None
        span = tuple(self.frames_of(seconds, meta).tolist())
        frames = []
        for time, box in boxes:
            try:
                frame = float(self.frames_of(float(time), meta))
            except (TypeError, ValueError):
                frame = None
            frames.append((frame, box if isinstance(box, (list, tuple)) else [None]))
        return dict(span=span, boxes=frames, notes=notes)

    def format(self, span: Sequence[int], frame_ids: Sequence[int], boxes: np.ndarray,
               meta: Mapping) -> str:
        start, end = self.seconds_of([int(span[0]), int(span[1])], meta)
        times = self.seconds_of(np.asarray(frame_ids, dtype=np.int64), meta)
        coords = self.from_input_pixels(boxes, meta)

        def num(v, decimals):
            v = round(float(v), decimals)
            return int(v) if decimals == 0 else v

        answer = dict(
            start=num(start, self.time_decimals),
            end=num(end, self.time_decimals),
            boxes=[
                dict(
                    time=num(t, self.time_decimals), bbox=[num(c, self.coord_decimals) for c in b])
                for t, b in zip(np.atleast_1d(times), coords)
            ])
        return json.dumps(answer)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(coord_frame={self.coord_frame!r}, '
                f'time_decimals={self.time_decimals}, coord_decimals={self.coord_decimals})')
