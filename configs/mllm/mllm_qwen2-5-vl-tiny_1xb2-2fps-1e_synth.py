# A tiny, randomly initialised Qwen2.5-VL (2 layers, hidden size 64, an in-memory byte-level
# tokenizer: nothing to download) as an MLLMGrounder on the synthetic benchmark. It exercises
# the whole MLLM route on a CPU in seconds: frame sampling on a time grid, the processor
# without torchvision, generation, answer parsing (a random model's answers are counted as
# parse failures, never dropped), the metric, the submission, and supervised fine-tuning.
#   python tools/test.py configs/mllm/mllm_qwen2-5-vl-tiny_1xb2-2fps-1e_synth.py --submit sub.json
#   python tools/train.py configs/mllm/mllm_qwen2-5-vl-tiny_1xb2-2fps-1e_synth.py
_base_ = [
    '../_base_/datasets/synth_stvg.py', '../_base_/schedules/mllm_sft_2e.py',
    '../_base_/default_runtime.py'
]
# the transformers config of the tiny model (mmstvg.testing.tiny_mllm.TINY_MLLM_CONFIGS);
# token ids and vocabulary size come from the tokenizer
tiny_text = dict(
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=4096,
    rope_parameters=dict(rope_type='default', rope_theta=10000.0, mrope_section=[2, 3, 3]))
model = dict(
    type='MLLMGrounder',
    model=dict(
        config=dict(
            model_type='qwen2_5_vl',
            text_config=tiny_text,
            vision_config=dict(
                depth=2,
                hidden_size=32,
                intermediate_size=64,
                num_heads=2,
                out_hidden_size=64,
                fullatt_block_indexes=[1],
                window_size=56,
                tokens_per_second=4,
                patch_size=14))),
    processor=dict(tokenizer=dict(type='tiny_qwen_tokenizer')),
    template=dict(type='json_tube'),
    parser=dict(type='json_tube', coord_frame='input_pixels'),
    generation=dict(max_new_tokens=48, do_sample=False),
    data_preprocessor=dict(type='STVGDataPreprocessor'))

mllm_factor = 28
train_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(type='SampleMLLMFrames', fps=2, max_frames=8),
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
    dict(type='ResizeForMLLM', factor=mllm_factor, min_pixels=28 * 28, max_pixels=4 * 28 * 28),
    dict(type='PackSTVGInputs'),
]
test_pipeline = train_pipeline
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

train_cfg = dict(max_epochs=1, val_interval=1)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=2),
    dict(
        type='CosineAnnealingLR',
        eta_min_ratio=0.0,
        by_epoch=True,
        begin=0,
        convert_to_iter_based=True)
]
auto_scale_lr = dict(base_batch_size=2)
