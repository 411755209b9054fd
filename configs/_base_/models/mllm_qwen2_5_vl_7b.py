# Qwen2.5-VL-7B-Instruct as an mmstvg grounder (MLLMGrounder, docs/user_guides/mllm.md).
# The weights are a local copy of the checkpoint (a `save_pretrained` / hub snapshot
# directory); nothing is downloaded. Give another path with
#   --cfg-options model.model.pretrained=/path/to/Qwen2.5-VL-7B-Instruct
pretrained = 'data/pretrained/Qwen2.5-VL-7B-Instruct'
model = dict(
    type='MLLMGrounder',
    model=dict(pretrained=pretrained, dtype='bfloat16', attn_implementation='sdpa'),
    # family, patch sizes and normalisation from the checkpoint; video processing without
    # torchvision (mmstvg.models.mllm.FrameVideoProcessor)
    processor=dict(),
    # Qwen2.5-VL grounds in absolute pixels of its (resized) input
    template=dict(type='json_tube'),
    parser=dict(type='json_tube', coord_frame='input_pixels'),
    generation=dict(max_new_tokens=1024, do_sample=False),
    # frames stay uint8-valued: the processor normalises them
    data_preprocessor=dict(type='STVGDataPreprocessor'))

# 2 frames per second (qwen-vl-utils' default), grouped in pairs by the vision encoder; the
# pixel budget of STVG-R1's evaluation (2048 tokens of 28x28 pixels for the whole clip, at
# least 16 per frame), the per-frame cap of transformers' Qwen2-VL video processor.
mllm_factor = 28
mllm_test_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(type='SampleMLLMFrames', fps=2, max_frames=256),
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
    dict(
        type='ResizeForMLLM',
        factor=mllm_factor,
        min_pixels=16 * mllm_factor * mllm_factor,
        max_pixels=768 * mllm_factor * mllm_factor,
        total_pixels=2048 * mllm_factor * mllm_factor),
    dict(type='PackSTVGInputs'),
]
mllm_train_pipeline = mllm_test_pipeline
