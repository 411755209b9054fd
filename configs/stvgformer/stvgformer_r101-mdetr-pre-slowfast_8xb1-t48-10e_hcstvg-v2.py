# STVGFormer on HC-STVG v2 with the paper's settings (§2.1): batch 8 (8 GPUs x 1), 48 frames
# per training sample, 96 frames per test pass with passes until every frame was seen,
# MDETR initialisation. The dynamic branch reads precomputed clip features of SlowFast-R50
# (AVA) (§1.2), one 32-frame clip per sampled frame, written by tools/data/extract_features.py
# with the extractor config inherited here (row stride and channels come from it).
# Training practice "as MDETR" (§2.1), from MDETR's public code (configs/stvgformer/README.md):
# AdamW, lr 5e-5, backbone and RoBERTa 1e-5 (MDETR's fine-tuning command), weight decay 1e-4,
# gradient clipping 0.1, auxiliary decoding losses, EMA of the weights (decay 0.9998), a step
# schedule (x0.1 late in training). Epochs (10) and the drop epoch (6) are not in the paper.
_base_ = [
    '../_base_/models/stvgformer_r101_slowfast.py', '../_base_/datasets/hcstvg_v2.py',
    '../_base_/feature_extractors/slowfast_r50_4x16_ava.py', '../_base_/schedules/adamw_10e.py',
    '../_base_/default_runtime.py', '../_base_/ema.py'
]
feature_channels = {{_base_.feature_extractor.out_channels}}
feature_stride = {{_base_.feature_extractor.stride}}
train_frames = 48
test_frames = 96
# One frame geometry in training and testing, as MDETR (ashkamath/mdetr datasets/coco.py:
# the aspect ratio is kept, the short side resized, in training and at test time): short side
# 224 (the paper gives none; MDETR tests at 800, which 48-96 frames per sample do not afford).
# No random crop: the precomputed clip feature maps cover the whole frame and cannot follow
# one (the online option, stvgformer_r101-mdetr-pre-slowfast-online_*, keeps it); the flip
# mirrors the feature maps with the frames (STVGFlip).
short_side = 224
feature_prefix = dict(video='videos', feature='features/slowfast')
train_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(type='SampleSTVGFrames', clip_len=train_frames),
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
    dict(type='LoadSTVGFeatures', frame_stride=feature_stride, channels=feature_channels),
    dict(type='mmaction.Resize', scale=(-1, short_side)),
    dict(type='STVGFlip', flip_ratio=0.5),
    dict(type='TokenizeText', tokenizer={{_base_.tokenizer}}, max_length=64),
    dict(type='PackSTVGInputs'),
]
test_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(type='SampleSTVGFrames', clip_len=test_frames, test_mode=True, multi_pass=True),
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
    dict(type='LoadSTVGFeatures', frame_stride=feature_stride, channels=feature_channels),
    dict(type='mmaction.Resize', scale=(-1, short_side)),
    dict(type='TokenizeText', tokenizer={{_base_.tokenizer}}, max_length=64),
    dict(type='PackSTVGInputs'),
]
train_dataloader = dict(
    batch_size=1, dataset=dict(data_prefix=feature_prefix, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, dataset=dict(data_prefix=feature_prefix, pipeline=test_pipeline))
test_dataloader = val_dataloader
model = dict(dynamic_branch=dict(in_channels=feature_channels))

# MDETR's fine-tuning from its pre-trained checkpoint (ashkamath/mdetr .github/refexp.md:
# `--lr 5e-5 --text_encoder_lr 1e-5 --ema`, lr_backbone 1e-5 by default): parameters whose
# name holds "backbone" get lr_backbone, the text encoder text_encoder_lr, the rest lr.
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=5e-5, weight_decay=1e-4),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    paramwise_cfg=dict(
        custom_keys={
            'image_backbone': dict(lr_mult=0.2),  # 1e-5
            'video_backbone': dict(lr_mult=0.2),  # 1e-5 (online option only)
            'text_encoder.model': dict(lr_mult=0.2),  # 1e-5
        }))
# MDETR's "step" schedule (util/optim.py): constant, x0.1 after `lr_drop` epochs (its default
# "linear_with_warmup" differs only for the text encoder: linear warm-up over 1 % of the steps,
# then linear decay to 0; mmengine's schedulers act on every parameter group alike).
# lr_drop = 6 of 10 epochs: MDETR's RefCOCO fine-tuning drops at 3 of 5 (configs/refcoco.json).
param_scheduler = [
    dict(type='MultiStepLR', milestones=[6], gamma=0.1, by_epoch=True, begin=0, end=10)
]
auto_scale_lr = dict(enable=False, base_batch_size=8)
