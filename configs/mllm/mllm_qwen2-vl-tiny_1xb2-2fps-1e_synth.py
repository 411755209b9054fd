# A tiny, randomly initialised Qwen2-VL (a variant of
# mllm_qwen2-5-vl-tiny_1xb2-2fps-1e_synth.py): the same tiny route with this family's model
# and processor.
#   python tools/test.py configs/mllm/mllm_qwen2-vl-tiny_1xb2-2fps-1e_synth.py --submit sub.json
_base_ = ['./mllm_qwen2-5-vl-tiny_1xb2-2fps-1e_synth.py']
model = dict(
    model=dict(
        config=dict(
            _delete_=True,
            model_type='qwen2_vl',
            text_config={{_base_.tiny_text}},
            vision_config=dict(depth=2, embed_dim=32, hidden_size=64, num_heads=2,
                               patch_size=14))))
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
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
