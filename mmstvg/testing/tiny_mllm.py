"""Tiny random Qwen2-VL / Qwen2.5-VL / Qwen3-VL models (2 layers, hidden size 64) for tests.

:data:`TINY_MLLM_CONFIGS` are the ``config`` of ``MLLMGrounder`` in the tiny configs
(``configs/mllm/*tiny*``): a transformers config as a dict (``model_type`` + text and vision
configs). The token ids (vocabulary size, special tokens) are filled from the tokenizer when
the model is built (``MLLMGrounder``), so they are left out here.
"""
import copy

_TEXT = dict(
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=4096,
    rope_parameters=dict(rope_type='default', rope_theta=10000.0, mrope_section=[2, 3, 3]))

TINY_MLLM_CONFIGS = dict(
    qwen2_vl=dict(
        model_type='qwen2_vl',
        text_config=_TEXT,
        vision_config=dict(depth=2, embed_dim=32, hidden_size=64, num_heads=2, patch_size=14)),
    qwen2_5_vl=dict(
        model_type='qwen2_5_vl',
        text_config=_TEXT,
        vision_config=dict(
            depth=2,
            hidden_size=32,
            intermediate_size=64,
            num_heads=2,
            out_hidden_size=64,
            fullatt_block_indexes=[1],
            window_size=56,
            tokens_per_second=4,
            patch_size=14)),
    qwen3_vl=dict(
        model_type='qwen3_vl',
        text_config=dict(
            _TEXT,
            head_dim=16,
            rope_parameters=dict(
                rope_type='default',
                rope_theta=10000.0,
                mrope_section=[2, 3, 3],
                mrope_interleaved=True)),
        vision_config=dict(
            depth=2,
            hidden_size=32,
            intermediate_size=64,
            num_heads=2,
            out_hidden_size=64,
            deepstack_visual_indexes=[1],
            num_position_embeddings=64,
            patch_size=16)))

#: ``ResizeForMLLM`` factor (patch_size * merge_size) of each family
TINY_MLLM_FACTORS = dict(qwen2_vl=28, qwen2_5_vl=28, qwen3_vl=32)


def tiny_mllm_config(family: str) -> dict:
    """A copy of the tiny transformers config (a dict) of ``family``."""
    return copy.deepcopy(TINY_MLLM_CONFIGS[family])
