# Each template module adds its import line here.
from .base_prompt_template import COORD_DESCRIPTIONS, BasePromptTemplate
from .json_tube_template import JSONTubePromptTemplate
from .llava_st_template import LLaVASTPromptTemplate
from .stvg_r1_template import STVGR1PromptTemplate

__all__ = [
    'COORD_DESCRIPTIONS', 'BasePromptTemplate', 'JSONTubePromptTemplate', 'LLaVASTPromptTemplate',
    'STVGR1PromptTemplate'
]
