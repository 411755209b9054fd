"""Multimodal LLM grounding: processors without torchvision, prompt templates, answer
parsers, rewards (``docs/user_guides/mllm.md``)."""
from .model import build_mllm, fill_token_ids
from .parsers import *  # noqa: F401,F403
from .processor import (CHATML_TEMPLATE, FAMILIES, build_mllm_processor, build_tokenizer,
                        family_of, torchvision_free)
from .rewards import *  # noqa: F401,F403
from .templates import *  # noqa: F401,F403
from .tiny import QWEN_SPECIAL_TOKENS, TOKENIZER_BUILDERS, tiny_qwen_tokenizer
from .video_processor import FrameVideoProcessor, STVGVideoMetadata

__all__ = [
    'build_mllm', 'fill_token_ids', 'CHATML_TEMPLATE', 'FAMILIES', 'build_mllm_processor',
    'build_tokenizer', 'family_of', 'torchvision_free', 'QWEN_SPECIAL_TOKENS',
    'TOKENIZER_BUILDERS', 'tiny_qwen_tokenizer', 'FrameVideoProcessor', 'STVGVideoMetadata'
]
