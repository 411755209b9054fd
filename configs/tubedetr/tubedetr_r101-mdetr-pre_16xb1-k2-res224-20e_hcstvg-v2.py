# TubeDETR on HC-STVG v2, the released "k=2 res=224" model: `--resolution=224 --stride=2`, its
# transforms at resolution 224 (make_video_transforms: test short side 224, long side <= 373;
# training scales 128-224, crop branch 100/150/200 then a crop of >= 96). The rest as k=4 res=352.
_base_ = ['./tubedetr_r101-mdetr-pre_16xb1-k4-res352-20e_hcstvg-v2.py']
resolution = 224
max_size = 373
train_scales = [128, 160, 192, 224]
crop_scales = [100, 150, 200]
crop_min_size = 96
model = dict(encoder=dict(stride=2))
train_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(type='SampleTubeDETRFrames', fps=5, max_frames=200, crop_prob=0.5, max_frames_train=200),
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
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
    {{_base_.text_tokenize}},
    dict(type='PackSTVGInputs'),
]
test_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(type='SampleTubeDETRFrames', fps=5, max_frames=200, test_mode=True),
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
    dict(type='DETRResize', scale=resolution, max_size=max_size),
    {{_base_.text_tokenize}},
    dict(type='PackSTVGInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
