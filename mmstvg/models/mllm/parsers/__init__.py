# Each parser module adds its import line here.
from .base_answer_parser import (COORD_FRAMES, PARSE_FAILURES, PARSE_STATUSES, AnswerError,
                                 BaseAnswerParser, ParseResult)
from .json_tube_parser import JSONTubeParser
from .llava_st_parser import LLaVASTParser
from .stvg_r1_parser import STVGR1Parser

__all__ = [
    'COORD_FRAMES', 'PARSE_FAILURES', 'PARSE_STATUSES', 'AnswerError', 'BaseAnswerParser',
    'ParseResult', 'JSONTubeParser', 'LLaVASTParser', 'STVGR1Parser'
]
