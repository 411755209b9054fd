"""The prompt asking for a JSON tube (``mmstvg.models.mllm.parsers.JSONTubeParser``)."""
from mmstvg.registry import PROMPT_TEMPLATES
from .base_prompt_template import BasePromptTemplate


@PROMPT_TEMPLATES.register_module(name='json_tube')
class JSONTubePromptTemplate(BasePromptTemplate):
    """Asks for the span of ``sentence`` in seconds and a box at each sampled frame in it,
    as one JSON object (the instruction names the parser's coordinate frame)."""

    default_instruction = (
        'The video lasts {duration} seconds. Find the target described by: "{sentence}". '
        'Answer with one JSON object: the time span in seconds when it happens, and the '
        "target's box [x1, y1, x2, y2] in {coords} at each shown frame of the span, e.g. "
        '{{"start": 1.5, "end": 4.0, "boxes": [{{"time": 1.5, "bbox": [10, 20, 50, 80]}}]}}.')
