"""STVG-R1's prompt (``mmstvg.models.mllm.parsers.STVGR1Parser``).

STVG-R1's ``evaluate.py`` (``GROUND_TEMPLATE``, repository ``XiaowZhang00/stvg-r1``) puts the
text before the video, tells the model that every object carries a red ID number at its
centre, asks for the time period and the object ID of the event, reasoning in ``<think>``
tags with temporal and spatial analysis, then ``"Target ID: [ID], Time range: [start time to
end time]"`` (seconds, two decimals) in ``<answer>`` tags. The default instruction here says
the same in other words; to reproduce their numbers exactly, give their text as
``instruction`` (with ``{sentence}`` where theirs has ``[EVENT]``).
"""
from mmstvg.registry import PROMPT_TEMPLATES
from .base_prompt_template import BasePromptTemplate


@PROMPT_TEMPLATES.register_module(name='stvg_r1')
class STVGR1PromptTemplate(BasePromptTemplate):
    """STVG-R1's question: object ID and time range (module docstring)."""

    default_video_first = False
    default_instruction = (
        'Every object in the video carries a red number at its centre: its object ID. To '
        'locate the event "{sentence}" in the video, find when it happens and which object '
        'it is about. Think inside <think> </think> tags, with the times (e.g. "xx.xx to '
        'xx.xx") and the object ID you consider. Then give the start and end times in '
        'seconds with two decimals and the object ID as "Target ID: [ID], Time range: '
        '[start time to end time]" inside <answer> </answer> tags, for example "Target ID: '
        '1, Time range: 12.54 to 17.83".')
