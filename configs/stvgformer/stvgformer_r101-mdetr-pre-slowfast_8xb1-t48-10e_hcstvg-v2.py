# STVGFormer on HC-STVG v2 with the paper's settings (§2.1): batch 8 (8 GPUs x 1), 48 frames
# per training sample, 96 frames per test pass with passes until every frame was seen,
# MDETR initialisation, MDETR's training practice (AdamW, lr 1e-4 / 1e-5 backbone /
# 5e-5 text encoder, weight decay 1e-4, gradient clipping 0.1).
_base_ = [
    '../_base_/models/stvgformer_r101_slowfast.py', '../_base_/datasets/hcstvg_v2.py',
    '../_base_/schedules/adamw_10e.py', '../_base_/default_runtime.py'
]
train_frames = 48
test_frames = 96
train_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(type='SampleSTVGFrames', num_frames=train_frames),
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
    dict(type='mmaction.Resize', scale=(-1, 256)),
    dict(type='STVGCrop', crop=dict(type='mmaction.RandomResizedCrop', area_range=(0.5, 1.0)),
         min_visible_ratio=0.5),
    dict(type='mmaction.Resize', scale=(224, 224), keep_ratio=False),
    dict(type='STVGFlip', flip_ratio=0.5),
    dict(type='TokenizeText', tokenizer={{_base_.tokenizer}}, max_length=64),
    dict(type='PackSTVGInputs'),
]
test_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(type='SampleSTVGFrames', num_frames=test_frames, test_mode=True, multi_pass=True),
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
    dict(type='mmaction.Resize', scale=(-1, 224)),
    dict(type='TokenizeText', tokenizer={{_base_.tokenizer}}, max_length=64),
    dict(type='PackSTVGInputs'),
]
train_dataloader = dict(batch_size=1, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=1, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    paramwise_cfg=dict(custom_keys={
        'image_backbone': dict(lr_mult=0.1),
        'video_backbone': dict(lr_mult=0.1),
        'text_encoder.model': dict(lr_mult=0.5),
    }))
auto_scale_lr = dict(enable=False, base_batch_size=8)
