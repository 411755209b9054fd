# The trivial predictor: the whole clip as the span and a centred box of half the frame's size
# on every frame. No weights, nothing to train. mmengine's BaseDataPreprocessor (the default):
# there are no frames or tokens to batch.
model = dict(type='TrivialGrounder', box_ratio=(0.5, 0.5))
# It reads no pixel and no word: one sampled position (no decoding) is enough to pack. A
# config using this model tests with it:
#   test_pipeline = {{_base_.trivial_test_pipeline}}
#   test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
trivial_test_pipeline = [
    dict(type='SampleSTVGFrames', clip_len=1, test_mode=True),
    dict(type='LoadTubeTargets'),
    dict(type='PackSTVGInputs', require_inputs=False)
]
test_cfg = dict(type='TestLoop')
