# CG-STVG on HC-STVG v1 at the released model's settings (configs/cgstvg/README.md):
# HengLan/CGSTVG's `scripts/train_net.py --config-file experiments/hcstvg.yaml INPUT.RESOLUTION
# 420` on 8 GPUs: STCAT's data and schedule (configs/stcat) with CG-STVG's model, frames resized
# to height 420 (width <= 588, antialiased) in training and test (no random resize / crop), flip
# p 0.7, AdamW lr 3e-4 (visual backbone 2e-5, text encoder 5e-5, temporal decoder 1e-4), 90
# epochs, lr x0.1 after epoch 50.
_base_ = [
    '../stcat/stcat_r101-mdetr-pre_8xb1-res448-90e_hcstvg-v1.py',
    '../_base_/models/cgstvg_vidswin-t.py'
]
resolution = 420  # INPUT.RESOLUTION
max_aspect = 1.4  # datasets/hcstvg.py: width <= 1.4 x height
model = {{_base_.cgstvg_model}}
resize = dict(type='AntialiasResize', height=resolution, max_aspect=max_aspect)
train_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(type='SampleSTCATFrames', fps=3.2, max_frames=200, crop_prob=0.5),
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
    resize,  # datasets/hcstvg.py: at decoding, before the transforms
    dict(type='STVGFlip', flip_ratio=0.7),  # INPUT.FLIP_PROB_TRAIN
    {{_base_.text_tokenize}},
    dict(type='PackSTVGInputs'),
]
test_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(type='SampleSTCATFrames', fps=6.4, max_frames=400, num_passes=2, test_mode=True),
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
    resize,
    {{_base_.text_tokenize}},
    dict(type='PackSTVGInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
# engine/optimizer.py: BASE_LR 3e-4; VIS_BACKBONE_LR 2e-5, TEXT_LR 5e-5, TEMP_LR 1e-4 (the
# temporal decoder `ground_decoder.time_decoder` -> decoder.time_*)
optim_wrapper = dict(
    optimizer=dict(lr=3e-4),
    paramwise_cfg=dict(
        custom_keys={
            'image_backbone': dict(lr_mult=2e-5 / 3e-4),
            'text_encoder': dict(lr_mult=5e-5 / 3e-4),
            'decoder.time_': dict(lr_mult=1e-4 / 3e-4)
        }))
