# The synthetic benchmark with precomputed clip feature maps instead of frames (GKCMN's path,
# paper §2.1, §3): one <video>.npy per video in data/synth_stvg/features/r3d18_tiny, written
# by tools/data/extract_features.py with the extractor config inherited here (8-frame clips,
# one row every 2 frames, 6x6x64 maps). The 32 sampled frames of a query each read the row
# of their frame; `feature_channels` (the model's input channels) and the row stride come from
# the extractor config, and every feature file is checked against them when it is loaded.
# No augmentation: the features are fixed (the frame-based configs flip the frames).
_base_ = ['./synth_stvg.py', '../feature_extractors/r3d18_tiny_synth.py']
feature_channels = {{_base_.feature_extractor.out_channels}}
feature_stride = {{_base_.feature_extractor.stride}}
feature_prefix = dict(video='videos', feature='features/r3d18_tiny')
train_pipeline = [
    dict(type='SampleSTVGFrames', clip_len={{_base_.clip_len}}),
    dict(type='LoadSTVGFeatures', frame_stride=feature_stride, channels=feature_channels),
    dict(type='LoadTubeTargets'),
    dict(type='TokenizeText', tokenizer={{_base_.tokenizer}}, max_length=16),
    dict(type='PackSTVGInputs'),
]
test_pipeline = [
    dict(type='SampleSTVGFrames', clip_len={{_base_.clip_len}}, test_mode=True),
    dict(type='LoadSTVGFeatures', frame_stride=feature_stride, channels=feature_channels),
    dict(type='LoadTubeTargets'),
    dict(type='TokenizeText', tokenizer={{_base_.tokenizer}}, max_length=16),
    dict(type='PackSTVGInputs'),
]
train_dataloader = dict(dataset=dict(data_prefix=feature_prefix, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_prefix=feature_prefix, pipeline=test_pipeline))
test_dataloader = val_dataloader
