# TubeDETR on HC-STVG v2 at the released model's settings (configs/tubedetr/README.md):
# antoyang/TubeDETR's command `main.py --ema --load=pretrained_resnet101_checkpoint.pth
# --combine_datasets=hcstvg --combine_datasets_val=hcstvg --v2 --epochs=20` with the released
# checkpoint's `--resolution=352 --stride=4` (k=4 res=352), every other value the code's default:
# frames at 5 fps, at most 200 per video, random temporal crop (p 0.5) in training; frames
# resized as DETR (short side 352, long side <= 587) at test time, DETR's random resize/crop in
# training (no flip); batch 1 video per GPU; AdamW lr 5e-5 (backbone 1e-5), weight decay 1e-4,
# gradient clipping 0.1, EMA 0.9998, lr x0.1 every 10 epochs; MDETR initialisation.
# The GPU count is not in the repository (its commands take NUM_GPUS): 16 is assumed (README).
_base_ = [
    '../_base_/models/tubedetr_r101_roberta.py', '../_base_/datasets/hcstvg_v2.py',
    '../_base_/default_runtime.py', '../_base_/ema.py'
]
fps = 5  # --fps
max_frames = 200  # --video_max_len (= --video_max_len_train)
resolution = 352  # --resolution
max_size = 587  # make_video_transforms(resolution=352): long side cap
train_scales = [224, 256, 288, 320, 352]  # its training scales at resolution 352
crop_scales = [200, 250, 300]  # resize before the random crop
crop_min_size = 192
# HC-STVG annotations: TubeDETR reads `st_frame` as a 0-based index (README, "Differences")
hcstvg_st_frame_base = 0
text_tokenize = dict(
    type='TokenizeText',
    tokenizer={{_base_.tokenizer}},
    max_length=512,  # RoBERTa's limit: TubeDETR never truncates
    strip=False)  # TubeDETR tokenises the caption as stored
train_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(
        type='SampleTubeDETRFrames',
        fps=fps,
        max_frames=max_frames,
        crop_prob=0.5,
        max_frames_train=max_frames),
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
    # DETR's RandomSelect(RandomResize(scales), [RandomResize(crop_scales),
    # RandomSizeCrop(respect_boxes), RandomResize(scales)]), each branch with probability 0.5
    dict(
        type='mmcv.RandomChoice',
        transforms=[
            [dict(type='DETRResize', scale=train_scales, max_size=max_size)],
            [
                dict(type='DETRResize', scale=crop_scales),
                dict(
                    type='STVGCrop',
                    crop=dict(
                        type='DETRRandomSizeCrop', min_size=crop_min_size, max_size=max_size),
                    max_tries=100),
                dict(type='DETRResize', scale=train_scales, max_size=max_size),
            ],
        ]),
    text_tokenize,
    dict(type='PackSTVGInputs'),
]
test_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(type='SampleTubeDETRFrames', fps=fps, max_frames=max_frames, test_mode=True),
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
    dict(type='DETRResize', scale=resolution, max_size=max_size),
    text_tokenize,
    dict(type='PackSTVGInputs'),
]
train_dataloader = dict(
    batch_size=1, dataset=dict(st_frame_base=hcstvg_st_frame_base, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, dataset=dict(st_frame_base=hcstvg_st_frame_base, pipeline=test_pipeline))
test_dataloader = val_dataloader
# TubeDETR's `sampled` protocol: its frames (5 fps, <= 200) over its clip
val_evaluator = dict(type='STVGMetric', protocol='sampled', eval_fps=fps, video_max_len=max_frames)
test_evaluator = val_evaluator

# main.py: AdamW, lr 5e-5, lr_backbone 1e-5 (parameters named "backbone"), text_encoder_lr
# 5e-5, weight decay 1e-4 on every parameter, --clip_max_norm 0.1 (the fused / multi-tensor
# AdamW where the device allows, as the base schedules: FastOptimWrapperConstructor)
optim_wrapper = dict(
    type='OptimWrapper',
    constructor='FastOptimWrapperConstructor',
    optimizer=dict(type='AdamW', lr=5e-5, weight_decay=1e-4),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    paramwise_cfg=dict(custom_keys={'image_backbone': dict(lr_mult=0.2)}))
# util/optim.py "linear_with_warmup": lr and lr_backbone x0.1 every --lr_drop (10) epochs; the
# text encoder's own warm-up (1 % of the steps) and linear decay to 0 is not reproduced
# (mmengine schedules every parameter group alike; README, "Differences").
max_epochs = 20
param_scheduler = [
    dict(type='MultiStepLR', milestones=[10], gamma=0.1, by_epoch=True, begin=0, end=max_epochs)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=16)
