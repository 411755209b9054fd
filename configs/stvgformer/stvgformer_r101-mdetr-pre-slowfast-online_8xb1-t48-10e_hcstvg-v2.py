# STVGFormer on HC-STVG v2 with SlowFast run online (an option, not the paper's input): the
# AVA SlowFast-R50 4x16 (the extractor config's backbone) encodes the T sampled frames as one
# video (VideoClipEncoder) instead of reading clip features precomputed per clip. The frames a
# "clip" then spans are the sparse sampled frames, whose spacing differs between the 48
# training and the 96 test frames per pass. BatchNorm stays in eval mode (`norm_eval`: the
# pretrained statistics, not those of one video's frames); the weights train at the backbone
# lr. Everything else is the paper config; the frames also get the random crop the
# precomputed features cannot follow (short side 224 after it, aspect ratio kept, as at test).
_base_ = ['./stvgformer_r101-mdetr-pre-slowfast_8xb1-t48-10e_hcstvg-v2.py']
model = dict(
    video_backbone=dict(
        _delete_=True,  # None in the paper config
        type='VideoClipEncoder',
        backbone={{_base_.feature_extractor.backbone}},
        norm_eval=True,
        # mmaction2's AVA detector checkpoint: its `backbone.*` keys match this module's
        # (mmaction's SlowFast ignores an init_cfg of its own)
        init_cfg=dict(type='Pretrained', checkpoint='data/pretrained/slowfast_r50_4x16_ava.pth')))
train_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(type='SampleSTVGFrames', clip_len={{_base_.train_frames}}),
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
    dict(
        type='STVGCrop',
        crop=dict(type='mmaction.RandomResizedCrop', area_range=(0.5, 1.0)),
        min_visible_ratio=0.5),
    dict(type='mmaction.Resize', scale=(-1, {{_base_.short_side}})),
    dict(type='STVGFlip', flip_ratio=0.5),
    dict(type='TokenizeText', tokenizer={{_base_.tokenizer}}, max_length=64),
    dict(type='PackSTVGInputs'),
]
test_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(
        type='SampleSTVGFrames', clip_len={{_base_.test_frames}}, test_mode=True, multi_pass=True),
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
    dict(type='mmaction.Resize', scale=(-1, {{_base_.short_side}})),
    dict(type='TokenizeText', tokenizer={{_base_.tokenizer}}, max_length=64),
    dict(type='PackSTVGInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
