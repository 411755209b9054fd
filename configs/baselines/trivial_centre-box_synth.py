# The trivial predictor (whole clip, centred half-size box) on the synthetic benchmark.
# No weights: `python tools/test.py configs/baselines/trivial_centre-box_synth.py`.
_base_ = [
    '../_base_/datasets/synth_stvg.py', '../_base_/models/trivial_centre_box.py',
    '../_base_/default_runtime.py'
]
test_pipeline = {{_base_.trivial_test_pipeline}}
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
# Test only: nothing to train or validate.
train_dataloader = None
val_dataloader = None
val_evaluator = None
