# VidSTG with precomputed I3D feature maps (GKCMN, paper §3): one <video>.npy per video in
# data/vidstg/features/i3d written by tools/data/extract_features.py with the extractor config
# inherited here (clips of 8 frames every 4 frames at 224x224; row r = frame 4r), 200 feature
# steps per query, at most 20 words. The row stride and the channel count come from that
# extractor config: `feature_channels` is the model's input channel count (the GKCMN configs
# read it) and every feature file is checked against it when it is loaded.
_base_ = ['./vidstg.py', '../feature_extractors/i3d_r50_k400.py']
feature_channels = {{_base_.feature_extractor.out_channels}}
feature_stride = {{_base_.feature_extractor.stride}}
vocab_file = 'data/pretrained/glove_vocab.txt'
num_steps = 200
feature_prefix = dict(video='videos', feature='features/i3d')
train_pipeline = [
    dict(type='SampleSTVGFrames', clip_len=num_steps),
    dict(type='LoadSTVGFeatures', frame_stride=feature_stride, channels=feature_channels),
    dict(type='LoadTubeTargets'),
    dict(type='TokenizeWords', vocab_file=vocab_file, max_length=20),
    dict(type='PackSTVGInputs'),
]
test_pipeline = [
    dict(type='SampleSTVGFrames', clip_len=num_steps, test_mode=True),
    dict(type='LoadSTVGFeatures', frame_stride=feature_stride, channels=feature_channels),
    dict(type='LoadTubeTargets'),
    dict(type='TokenizeWords', vocab_file=vocab_file, max_length=20),
    dict(type='PackSTVGInputs'),
]
train_dataloader = dict(
    batch_size=16,
    dataset=dict(
        data_prefix=dict(feature_prefix, vidor_anno='vidor/training'), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    dataset=dict(
        data_prefix=dict(feature_prefix, vidor_anno='vidor/training'), pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=16,
    dataset=dict(
        data_prefix=dict(feature_prefix, vidor_anno='vidor/validation'), pipeline=test_pipeline))
