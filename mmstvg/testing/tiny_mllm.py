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


def tiny_mllm_grounder(family: str = 'qwen2_5_vl', seed: int = 0, **kwargs):
    """A tiny random ``MLLMGrounder`` of ``family`` (the in-memory tokenizer); ``kwargs``
    override its config (``lora``, ``parser``, ``generation`` ...)."""
    import torch
    from mmengine.registry import DefaultScope

    from mmstvg.registry import MODELS
    from mmstvg.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = dict(
        type='MLLMGrounder',
        model=dict(config=tiny_mllm_config(family)),
        processor=dict(tokenizer=dict(type='tiny_qwen_tokenizer')),
        generation=dict(max_new_tokens=4),
        data_preprocessor=dict(type='STVGDataPreprocessor'))
    cfg.update(kwargs)
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('mmstvg'):
        return MODELS.build(cfg)


def tiny_mllm_batch(family: str = 'qwen2_5_vl',
                    qids=('a', 'b'),
                    gt_span=(8, 24),
                    gt_box=(10., 10., 50., 50.),
                    seed: int = 0):
    """A batch as ``STVGDataPreprocessor`` gives it to an MLLM grounder: a 5 s clip of 40
    frames at 8 fps sampled at 2 fps (``SampleMLLMFrames``: frames 2, 6, ..., 38), random
    square frames on the family's patch grid, one query per ``qids`` with the GT tube
    ``gt_span`` (one constant ``gt_box`` per frame; input = original pixels).

    Returns:
        tuple: ``inputs`` (``imgs`` (B, N, 3, H, W) float 0-255, ``frame_mask``) and the
        data samples.
    """
    import torch
    from mmengine.structures import BaseDataElement

    from mmstvg.datasets.transforms import SampleMLLMFrames
    from mmstvg.structures import STVGDataSample
    sampled = SampleMLLMFrames(fps=2).transform(dict(num_frames=40, fps=8.0, clip=(0, 40)))
    inds = sampled['frame_inds']
    side = 2 * TINY_MLLM_FACTORS[family]
    samples = []
    for qid in qids:
        meta = dict(
            qid=qid,
            video_name=f'{qid}.mp4',
            clip=(0, 40),
            fps=8.0,
            num_frames=40,
            frame_inds=inds,
            frame_times=sampled['frame_times'],
            sample_rate=sampled['sample_rate'],
            img_shape=(side, side),
            ori_shape=(side, side),
            sentence='the man in red',
            sentence_type=None)
        sample = STVGDataSample(metainfo=meta)
        in_span = torch.tensor([gt_span[0] <= i < gt_span[1] for i in inds])
        box = torch.tensor([list(gt_box)])
        sample.gt_tube = BaseDataElement(
            span=torch.tensor(gt_span),
            bboxes=box.repeat(gt_span[1] - gt_span[0], 1),
            frame_bboxes=box.repeat(len(inds), 1) * in_span[:, None],
            frame_in_span=in_span)
        samples.append(sample)
    gen = torch.Generator().manual_seed(seed)
    inputs = dict(
        imgs=torch.randint(0, 255, (len(samples), len(inds), 3, side, side),
                           generator=gen).float(),
        frame_mask=torch.ones(len(samples), len(inds), dtype=torch.bool))
    return inputs, samples
