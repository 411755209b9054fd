"""LLaVA-ST's STVG question (``mmstvg.models.mllm.parsers.LLaVASTParser``).

LLaVA-ST's released inference prompts (``inference/src/prompts.py``) cover temporal video
grounding ("Give you a textual query: '<event>'. When does the described content occur in
the video? ..."); its ST-Align STVG prompts are not in the released code. The default
instruction below asks for the span and the key-frame boxes in its token layout; replace it
with the dataset's own question for an exact reproduction.
"""
from mmstvg.registry import PROMPT_TEMPLATES
from .base_prompt_template import BasePromptTemplate


@PROMPT_TEMPLATES.register_module(name='llava_st')
class LLaVASTPromptTemplate(BasePromptTemplate):
    """Asks for ``{<TEMP-a><TEMP-b>}`` and ``<TEMP-k>:[<WIDTH-..><HEIGHT-..>...]`` pairs."""

    default_instruction = (
        "Give you a textual query: '{sentence}'. When does the described content occur in "
        'the video, and where is the target in it? Answer with the span as '
        '{{<TEMP-start><TEMP-end>}} and the box of each key frame of the span as '
        '<TEMP-frame>:[<WIDTH-x1><HEIGHT-y1><WIDTH-x2><HEIGHT-y2>], every value a bin 000-099 '
        'of the video length or of the frame size.')
