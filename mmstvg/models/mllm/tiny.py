"""An offline, in-memory tokenizer with the Qwen-VL special tokens (tiny models, tests).

The tiny MLLM configs (``configs/mllm/*tiny*``) build randomly initialised 2-layer models,
which need a tokenizer but no vocabulary worth downloading: :func:`tiny_qwen_tokenizer` is a
byte-level BPE without merges (one token per byte, so any text, JSON answers included,
encodes and decodes exactly) plus the special tokens the Qwen-VL processors and chat
templates use. Its 264 tokens are the 256 bytes (ids 0-255) and :data:`QWEN_SPECIAL_TOKENS`
(ids 256-263).

A tokenizer config ``dict(type='tiny_qwen_tokenizer')`` names a builder of
:data:`TOKENIZER_BUILDERS` (``mmstvg.models.mllm.build_tokenizer``).
"""
from typing import Callable, Dict, Sequence

#: the special tokens of the Qwen2-VL / Qwen2.5-VL / Qwen3-VL tokenizers that the processors
#: and the chat templates use
QWEN_SPECIAL_TOKENS = ('<|endoftext|>', '<|im_start|>', '<|im_end|>', '<|vision_start|>',
                       '<|vision_end|>', '<|vision_pad|>', '<|image_pad|>', '<|video_pad|>')


def tiny_qwen_tokenizer(extra_special_tokens: Sequence[str] = ()):
    """A byte-level tokenizer with the Qwen-VL special tokens, built in memory.

    Args:
        extra_special_tokens (Sequence[str]): more special tokens (e.g. LLaVA-ST's
            ``<TEMP-000>`` ...), appended after :data:`QWEN_SPECIAL_TOKENS`.

    Returns:
        PreTrainedTokenizerFast: ``eos_token='<|im_end|>'``, ``pad_token='<|endoftext|>'``.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import PreTrainedTokenizerFast

    alphabet = sorted(ByteLevel.alphabet())
    tok = Tokenizer(models.BPE(vocab={c: i for i, c in enumerate(alphabet)}, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(list(QWEN_SPECIAL_TOKENS) + list(extra_special_tokens))
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token='<|im_end|>', pad_token='<|endoftext|>')


#: name -> builder of a tokenizer config ``dict(type=name, **kwargs)``
TOKENIZER_BUILDERS: Dict[str, Callable] = dict(tiny_qwen_tokenizer=tiny_qwen_tokenizer)
