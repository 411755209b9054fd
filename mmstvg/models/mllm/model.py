"""Build a transformers image-text-to-text model from a local checkpoint or from a config.

``AutoModelForImageTextToText`` maps ``qwen2_vl``, ``qwen2_5_vl`` and ``qwen3_vl`` to
``Qwen2VLForConditionalGeneration``, ``Qwen2_5_VLForConditionalGeneration`` and
``Qwen3VLForConditionalGeneration``. As mmstvg's text encoders, a config gives either a
local ``pretrained`` directory (weights loaded, nothing downloaded: ``local_files_only``) or
a ``config`` dict for random initialisation (tests, the tiny configs); in the latter case the
token ids the model must agree on with its tokenizer (vocabulary size, the vision and
end-of-text tokens) are taken from the tokenizer.
"""
import copy
from typing import Optional

import torch


def fill_token_ids(config: dict, tokenizer) -> dict:
    """``config`` (a transformers config as a dict) with the tokenizer's ids filled in where
    it has none: ``vocab_size``, ``eos/pad/bos_token_id`` of the text config, and the
    ``image/video/vision_start/vision_end`` token ids."""
    cfg = copy.deepcopy(dict(config))
    ids = {
        name: tokenizer.convert_tokens_to_ids(tok)
        for name, tok in (('image_token_id', '<|image_pad|>'), ('video_token_id', '<|video_pad|>'),
                          ('vision_start_token_id', '<|vision_start|>'), ('vision_end_token_id',
                                                                          '<|vision_end|>'))
    }
    for name, value in ids.items():
        cfg.setdefault(name, value)
    text = dict(cfg.get('text_config') or {})
    text.setdefault('vocab_size', len(tokenizer))
    text.setdefault('eos_token_id', tokenizer.convert_tokens_to_ids('<|im_end|>'))
    text.setdefault('pad_token_id', tokenizer.pad_token_id)
    text.setdefault('bos_token_id', tokenizer.convert_tokens_to_ids('<|endoftext|>'))
    cfg['text_config'] = text
    return cfg


def build_mllm(pretrained: Optional[str] = None,
               config: Optional[dict] = None,
               tokenizer=None,
               dtype: Optional[str] = None,
               attn_implementation: Optional[str] = None,
               **kwargs):
    """The model of a local checkpoint or of a config (module docstring).

    Args:
        pretrained (str, optional): local checkpoint directory.
        config (dict, optional): a transformers config as a dict, with ``model_type``.
        tokenizer (optional): the tokenizer (its ids fill ``config``'s, see
            :func:`fill_token_ids`).
        dtype (str, optional): ``'bfloat16'``, ``'float16'``, ``'float32'`` or ``'auto'``.
        attn_implementation (str, optional): ``'sdpa'``, ``'eager'``, ``'flash_attention_2'``.
        **kwargs: more arguments of ``from_pretrained`` (e.g. ``device_map``).

    Returns:
        PreTrainedModel: an ``AutoModelForImageTextToText`` model.
    """
    from transformers import AutoConfig, AutoModelForImageTextToText
    if (pretrained is None) == (config is None):
        raise ValueError('build_mllm: give exactly one of `pretrained` and `config`')
    torch_dtype = None if dtype in (None, 'auto') else getattr(torch, dtype)
    if pretrained is not None:
        extra = dict(kwargs)
        if attn_implementation:
            extra['attn_implementation'] = attn_implementation
        return AutoModelForImageTextToText.from_pretrained(
            pretrained, dtype=dtype or 'auto', local_files_only=True, **extra)
    cfg = dict(config)
    if tokenizer is not None:
        cfg = fill_token_ids(cfg, tokenizer)
    hf_cfg = AutoConfig.for_model(**cfg)
    if attn_implementation:
        hf_cfg._attn_implementation = attn_implementation
    model = AutoModelForImageTextToText.from_config(hf_cfg)
    return model.to(torch_dtype) if torch_dtype is not None else model
