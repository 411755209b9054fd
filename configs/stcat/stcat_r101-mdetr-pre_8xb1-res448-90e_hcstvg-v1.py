# STCAT on HC-STVG v1 at the released model's settings (configs/stcat/README.md): jy0205/STCAT's
# `scripts/train_net.py --config-file experiments/HC-STVG/e2e_STCAT_R101_HCSTVG.yaml
# INPUT.RESOLUTION 448` on 8 GPUs, every other value the code's default: frames at 3.2 fps in
# training (6.4 fps at test time, run as two interleaved passes, README "Protocol"), random
# temporal crop (p 0.5) and horizontal flip (p 0.5) in training; frames resized as DETR (short
# side 448, long side <= 720) at test time, DETR's random resize / crop at 448..352 in training;
# batch 1 video per GPU; AdamW lr 1e-4 (visual backbone 2e-5, text encoder 5e-5), weight decay
# 1e-4, gradient clipping 0.1, EMA 0.9998, 90 epochs, lr x0.1 after epoch 50; MDETR's
# ResNet-101 initialisation.
_base_ = [
    '../_base_/models/stcat_r101_roberta.py', '../_base_/datasets/hcstvg_v1.py',
    '../_base_/default_runtime.py', '../_base_/ema.py'
]
train_fps = 3.2  # INPUT.SAMPLE_FPS
test_fps = 6.4  # twice SAMPLE_FPS at test time (make_hcstvg_input_clip)
max_frames = 200  # INPUT.MAX_VIDEO_LEN
resolution = 448  # INPUT.RESOLUTION
max_size = 720  # build_transforms: long side cap
train_scales = [448, 416, 384, 352]  # resolution - 32 i, i < 4 (INPUT.AUG_SCALE)
crop_scales = [400, 500, 600]
# HC-STVG annotations: STCAT reads `st_frame` as 1-based (tube_start_frame = st_frame - 1)
hcstvg_st_frame_base = 1
text_tokenize = dict(
    type='TokenizeText', tokenizer={{_base_.tokenizer}}, max_length=512, lower=True)
# after the frame sampling (shared with the VidSTG config)
train_transforms = [
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
    dict(type='STVGFlip', flip_ratio=0.5),  # INPUT.FLIP_PROB_TRAIN
    # DETR's RandomSelect(RandomResize(scales), [RandomResize([400, 500, 600]),
    # RandomSizeCrop(384, 600), RandomResize(scales)]), each branch with probability 0.5
    dict(
        type='mmcv.RandomChoice',
        transforms=[
            [dict(type='DETRResize', scale=train_scales, max_size=max_size)],
            [
                dict(type='DETRResize', scale=crop_scales),
                dict(
                    type='STVGCrop',
                    crop=dict(type='DETRRandomSizeCrop', min_size=384, max_size=600),
                    max_tries=50),
                dict(type='DETRResize', scale=train_scales, max_size=max_size),
            ],
        ]),
    text_tokenize,
    dict(type='PackSTVGInputs'),
]
test_transforms = [
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
    dict(type='DETRResize', scale=resolution, max_size=max_size),
    text_tokenize,
    dict(type='PackSTVGInputs'),
]
train_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(type='SampleSTCATFrames', fps=train_fps, max_frames=max_frames,
         crop_prob=0.5),  # INPUT.TEMP_CROP_PROB
    *train_transforms,
]
test_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(
        type='SampleSTCATFrames',
        fps=test_fps,
        max_frames=2 * max_frames,
        num_passes=2,  # engine/evaluate.py: even and odd frames as two passes
        test_mode=True),
    *test_transforms,
]
train_dataloader = dict(
    batch_size=1, dataset=dict(st_frame_base=hcstvg_st_frame_base, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, dataset=dict(st_frame_base=hcstvg_st_frame_base, pipeline=test_pipeline))
test_dataloader = val_dataloader
# STCAT's evaluator: every raw frame, boxes interpolated between the predicted ones
val_evaluator = dict(type='STVGMetric', protocol='dense')
test_evaluator = val_evaluator

model = dict(test_cfg=dict(pass_batch=2))
# engine/optimizer.py: AdamW lr 1e-4 (BASE_LR), visual backbone 2e-5 (VIS_BACKBONE_LR), text
# encoder 5e-5 (TEXT_LR), temporal decoder 1e-4 (TEMP_LR), weight decay 1e-4, clip 0.1
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    paramwise_cfg=dict(custom_keys={
        'image_backbone': dict(lr_mult=0.2),
        'text_encoder': dict(lr_mult=0.5)
    }))
# SCHEDULE.TYPE multistep_with_warmup, DROP_STEP [50, 90]: lr x0.1 after epoch 50 (the text
# encoder's and temporal decoder's own warm-up (1 % of the steps) and linear decay are not
# reproduced: README, "Differences")
max_epochs = 90
param_scheduler = [
    dict(type='MultiStepLR', milestones=[50], gamma=0.1, by_epoch=True, begin=0, end=max_epochs)
]
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=8)
