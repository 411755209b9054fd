"""Base class of the prompt templates: the conversation that asks an MLLM for a tube.

A template (registry ``PROMPT_TEMPLATES``) builds, for one sample, the chat messages in
transformers' format (``[{'role': 'user', 'content': [{'type': 'video'}, {'type': 'text',
'text': ...}]}]``; the processor's chat template turns them into the prompt and the video
item into the video tokens), and the training target: the answer of the sample's GT tube in
the parser's format (:meth:`BasePromptTemplate.format_target`), which ``MLLMGrounder.loss``
appends to the prompt. The answer format itself belongs to the parser
(``mmstvg.models.mllm.parsers``); a template only describes it to the model.

The instruction is a ``str.format`` pattern over :meth:`BasePromptTemplate.fields`:
``{sentence}``, ``{duration}`` (seconds of the clip, 2 decimals), ``{num_frames}`` (frames
shown), ``{width}`` / ``{height}`` (the input frames' size in pixels) and ``{coords}`` (a
description of the parser's coordinate frame).
"""
from typing import List, Mapping, Optional, Sequence

import numpy as np

#: how an instruction describes each coordinate frame
COORD_DESCRIPTIONS = {
    'input_pixels': 'absolute pixel coordinates of the {width}x{height} frames',
    'original_pixels': 'absolute pixel coordinates of the original video',
    'unit': 'coordinates normalised to 0-1',
    'percent': 'coordinates normalised to 0-100',
    'permille': 'coordinates normalised to 0-1000',
    'bins99': 'coordinates as bins 0-99',
    'object_ids': 'object IDs',
}


class BasePromptTemplate:
    """A conversation asking for the tube of ``sentence`` (module docstring).

    Args:
        instruction (str, optional): the user text pattern; the class's
            :attr:`default_instruction` when None.
        system (str, optional): a system message; none when None (the chat template's
            default, if it has one, applies).
        video_first (bool, optional): the video before the text in the user turn (Qwen's
            examples) or after it; the class's default when None.
        target_prefix (str): text before the answer in the training target (e.g. an empty
            reasoning block). Defaults to ''.
        target_suffix (str): text after it. Defaults to ''.
    """

    default_instruction: str = '{sentence}'
    default_video_first: bool = True

    def __init__(self,
                 instruction: Optional[str] = None,
                 system: Optional[str] = None,
                 video_first: Optional[bool] = None,
                 target_prefix: str = '',
                 target_suffix: str = '') -> None:
        self.instruction = self.default_instruction if instruction is None else instruction
        self.system = system
        self.video_first = self.default_video_first if video_first is None else video_first
        self.target_prefix = target_prefix
        self.target_suffix = target_suffix

    def fields(self, meta: Mapping, parser=None) -> dict:
        """The values the instruction may use (module docstring)."""
        h, w = (meta.get('img_shape') or meta.get('ori_shape') or (0, 0))[:2]
        duration = 0.0
        if parser is not None and meta.get('frame_inds') is not None and meta.get('fps'):
            lo, hi = parser.clip_of(meta)
            t = parser.seconds_of([lo, hi], meta)
            duration = float(t[1] - t[0])
        frame = getattr(parser, 'coord_frame', 'input_pixels')
        coords = COORD_DESCRIPTIONS.get(frame, frame).format(width=w, height=h)
        return dict(
            sentence=str(meta.get('sentence', '')).strip(),
            duration=f'{duration:.2f}',
            num_frames=len(meta.get('frame_inds', ())),
            width=w,
            height=h,
            coords=coords)

    def messages(self, meta: Mapping, parser=None) -> List[dict]:
        """The chat messages of a sample (a system turn when set, then the user turn)."""
        text = self.instruction.format(**self.fields(meta, parser))
        content = [dict(type='video'), dict(type='text', text=text)]
        if not self.video_first:
            content = content[::-1]
        out = [dict(role='system', content=self.system)] if self.system else []
        return out + [dict(role='user', content=content)]

    def format_target(self, parser, span: Sequence[int], frame_ids: Sequence[int],
                      boxes: np.ndarray, meta: Mapping) -> str:
        """The training answer of a tube (``parser.format``, with the prefix and suffix)."""
        return self.target_prefix + parser.format(span, frame_ids, boxes, meta) + \
            self.target_suffix

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(instruction={self.instruction!r:.40}, '
                f'system={self.system!r}, video_first={self.video_first})')
