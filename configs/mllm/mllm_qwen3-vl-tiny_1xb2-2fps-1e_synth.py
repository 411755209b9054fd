# A tiny, randomly initialised Qwen3-VL (a variant of
# mllm_qwen2-5-vl-tiny_1xb2-2fps-1e_synth.py): the same tiny route with this family's model
# and processor.
#   python tools/test.py configs/mllm/mllm_qwen3-vl-tiny_1xb2-2fps-1e_synth.py --submit sub.json
_base_ = ['./mllm_qwen2-5-vl-tiny_1xb2-2fps-1e_synth.py']
model = dict(
    model=dict(
        config=dict(
            _delete_=True,
            model_type='qwen3_vl',
            text_config=dict(
                hidden_size=64,
                intermediate_size=128,
                num_hidden_layers=2,
                num_attention_heads=4,
                num_key_value_heads=2,
                max_position_embeddings=4096,
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
                patch_size=16))))
mllm_factor = 32
train_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(type='SampleMLLMFrames', fps=2, max_frames=8),
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
    dict(type='ResizeForMLLM', factor=mllm_factor, min_pixels=32 * 32, max_pixels=4 * 32 * 32),
    dict(type='PackSTVGInputs'),
]
test_pipeline = train_pipeline
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
