# CG-STVG on VidSTG (experiments/vidstg.yaml): STCAT's VidSTG data and schedule (64 frames in
# training, 10 epochs, lr x0.1 after epoch 8, warm-up of every group) with CG-STVG's model:
# GIoU weight 3, start/end weight 1 (TEMP_COEF), visual backbone lr 1e-5, reliable-frame
# thresholds 0.5 (GT GIoU and confidence) and -0.5 (actionness logit).
_base_ = [
    '../stcat/stcat_r101-mdetr-pre_8xb1-res448-10e_vidstg.py',
    '../_base_/models/cgstvg_vidswin-t.py'
]
resolution = 420
max_aspect = 1.4
model = {{_base_.cgstvg_model_vidstg}}
resize = dict(type='AntialiasResize', height=resolution, max_aspect=max_aspect)
train_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(type='SampleSTCATFrames', num_frames=64, crop_prob=0.5),  # INPUT.TRAIN_SAMPLE_NUM
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
    resize,
    dict(type='STVGFlip', flip_ratio=0.7),
    {{_base_.text_tokenize}},
    dict(type='PackSTVGInputs'),
]
test_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(type='SampleSTCATFrames', num_frames=128, num_passes=2, test_mode=True),
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
    resize,
    {{_base_.text_tokenize}},
    dict(type='PackSTVGInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
optim_wrapper = dict(
    optimizer=dict(lr=3e-4),
    paramwise_cfg=dict(
        custom_keys={
            'image_backbone': dict(lr_mult=1e-5 / 3e-4),
            'text_encoder': dict(lr_mult=5e-5 / 3e-4),
            'decoder.time_': dict(lr_mult=1e-4 / 3e-4)
        }))
