"""LLaVA-ST's answer: time and box coordinates as normalised-bin special tokens.

LLaVA-ST (Li et al., CVPR 2025, "A Multimodal Large Language Model for Fine-Grained
Spatial-Temporal Understanding"; repository ``appletea233/LLaVA-ST``) writes coordinates as
special tokens of 100 bins (``llava/constants.py``: ``<TEMP-{:03d}>``, ``<WIDTH-{:03d}>``,
``<HEIGHT-{:03d}>``). Its evaluator (``inference/src/utils.py``, ``replace_and_normalize``:
``value / 99.0``; ``inference/src/metrics.py``, ``eval_stvg``) reads an STVG answer as:

- the span, ``{<TEMP-a><TEMP-b>}`` (``parse_span_from_text``: ``{a, b}`` once the tokens are
  replaced by numbers): fractions ``a / 99`` and ``b / 99`` of the clip, whose frames are
  ``split[0] + frac * (duration - 1)`` (``duration = split[1] - split[0] + 1``);
- a box per key frame, ``<TEMP-k>:[<WIDTH-x1><HEIGHT-y1><WIDTH-x2><HEIGHT-y2>]``
  (``parse_stpair_from_text``: ``k,:[x1,y1,x2,y2]`` once replaced): frame ``split[0] +
  round(k / 99 * (duration - 1))`` (the 100 key frames), coordinates ``bin / 99`` of the
  frame's width and height.

This parser reads that layout with the separators optional (commas, spaces), and declares
the coordinate frame ``'bins99'`` (0-99 bins of the frame). Not confirmed from their code: the
exact text between the span and the pairs in an STVG answer (their released evaluator only
shows the two regular expressions above, applied to the whole answer), and whether the end
bin is the last frame of the span (taken here as inclusive, as their ``tvg`` ground truth
``(i - split[0]) / (duration - 1)`` of frame indices suggests). LLaVA-ST decodes these tokens
with its own heads (language-aligned positional embedding); this parser is for a model that
writes them as text (its SFT target is :meth:`LLaVASTParser.format`). LLaVA-ST's own
evaluator scores only the 100 key frames; mmstvg scores the tube under its protocols.
"""
import re
from typing import Any, Dict, Mapping, Sequence

import numpy as np

from mmstvg.registry import ANSWER_PARSERS
from .base_answer_parser import AnswerError, BaseAnswerParser

SPAN_RE = re.compile(r'\{\s*<TEMP-(\d+)>\s*,?\s*<TEMP-(\d+)>\s*\}')
PAIR_RE = re.compile(r'<TEMP-(\d+)>\s*,?\s*:\s*\[\s*<WIDTH-(\d+)>\s*,?\s*<HEIGHT-(\d+)>\s*,?\s*'
                     r'<WIDTH-(\d+)>\s*,?\s*<HEIGHT-(\d+)>\s*\]')
TOKEN_RE = re.compile(r'<(?:TEMP|WIDTH|HEIGHT)-\d+>')


@ANSWER_PARSERS.register_module(name='llava_st')
class LLaVASTParser(BaseAnswerParser):
    """LLaVA-ST's normalised-bin tokens (module docstring).

    Args:
        num_bins (int): bins per axis (LLaVA-ST: 100, i.e. values 0-99). Only 100 matches
            the ``'bins99'`` coordinate frame.
    """

    coord_frame = 'bins99'

    def __init__(self, num_bins: int = 100) -> None:
        super().__init__()
        if int(num_bins) != 100:
            raise ValueError('LLaVA-ST uses 100 bins (0-99)')
        self.num_bins = int(num_bins)

    @property
    def top(self) -> int:
        return self.num_bins - 1

    def _frame(self, value: float, meta: Mapping) -> float:
        lo, hi = self.clip_of(meta)
        return lo + float(value) / self.top * (hi - lo - 1)

    def extract(self, text: str, meta: Mapping) -> Dict[str, Any]:
        span = SPAN_RE.search(text)
        pairs = PAIR_RE.findall(text)
        if span is None and not pairs:
            status = 'bad_span' if TOKEN_RE.search(text) else 'no_answer'
            raise AnswerError(status, 'no {<TEMP-a><TEMP-b>} span in the answer')
        if span is None:
            raise AnswerError('bad_span', 'no {<TEMP-a><TEMP-b>} span in the answer')
        a, b = (int(v) for v in span.groups())
        start = self._frame(min(a, b), meta)
        end = self._frame(max(a, b), meta) + 1  # the end bin is the last frame
        notes = ['start and end swapped'] if a > b else []
        boxes = [(np.rint(self._frame(int(p[0]), meta)), [int(v) for v in p[1:]]) for p in pairs]
        return dict(span=(start, end), boxes=boxes, notes=notes)

    def _bin(self, frame: int, meta: Mapping) -> int:
        lo, hi = self.clip_of(meta)
        return int(round((int(frame) - lo) / max(hi - lo - 1, 1) * self.top))

    def format(self, span: Sequence[int], frame_ids: Sequence[int], boxes: np.ndarray,
               meta: Mapping) -> str:
        a, b = self._bin(span[0], meta), self._bin(int(span[1]) - 1, meta)
        bins = np.clip(np.rint(self.from_input_pixels(boxes, meta)), 0, self.top).astype(int)
        pairs = [
            f'<TEMP-{self._bin(f, meta):03d}>:[<WIDTH-{x1:03d}><HEIGHT-{y1:03d}>'
            f'<WIDTH-{x2:03d}><HEIGHT-{y2:03d}>]'
            for f, (x1, y1, x2, y2) in zip(np.asarray(frame_ids).tolist(), bins.tolist())
        ]
        return f'{{<TEMP-{a:03d}><TEMP-{b:03d}>}} ' + ' '.join(pairs)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(num_bins={self.num_bins})'
