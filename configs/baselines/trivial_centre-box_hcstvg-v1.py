# The trivial predictor (whole clip, centred half-size box) on hcstvg-v1; no weights:
# `python tools/test.py configs/baselines/trivial_centre-box_hcstvg-v1.py`.
_base_ = ['../_base_/datasets/hcstvg_v1.py', '../_base_/default_runtime.py']
# mmengine's BaseDataPreprocessor (the default): there are no frames or tokens to batch.
model = dict(type='TrivialGrounder', box_ratio=(0.5, 0.5))
# It reads no pixel and no word: one sampled position (no decoding) is enough to pack.
test_pipeline = [
    dict(type='SampleSTVGFrames', num_frames=1, test_mode=True),
    dict(type='LoadTubeTargets'),
    dict(type='PackSTVGInputs', require_inputs=False)
]
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_cfg = dict(type='TestLoop')
# Test only: nothing to train or validate.
train_dataloader = None
val_dataloader = None
val_evaluator = None
