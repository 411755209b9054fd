# STCAT on VidSTG (declarative and interrogative sentences, reported per type):
# experiments/VidSTG/e2e_STCAT_R101_VidSTG.yaml at INPUT.RESOLUTION 448: 64 frames per video in
# training (INPUT.TRAIN_SAMPLE_NUM, evenly spread), 128 at test time run as two interleaved
# passes; GIoU weight 3; visual backbone lr 1e-5; 10 epochs, lr x0.1 after epoch 8, warm-up of
# every group (multistep_with_warmup_all). Same model otherwise.
_base_ = ['./stcat_r101-mdetr-pre_8xb1-res448-90e_hcstvg-v1.py']
num_frames = 64  # INPUT.TRAIN_SAMPLE_NUM
model = dict(spatial_head=dict(loss_giou=dict(loss_weight=3.0)))  # GIOU_COEF
max_size = 720
train_scales = [448, 416, 384, 352]
text_tokenize = dict(
    type='TokenizeText', tokenizer={{_base_.tokenizer}}, max_length=512, lower=True)
train_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(type='SampleSTCATFrames', num_frames=num_frames, crop_prob=0.5, end_offset=1),
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
    dict(type='STVGFlip', flip_ratio=0.5),
    dict(
        type='mmcv.RandomChoice',
        transforms=[
            [dict(type='DETRResize', scale=train_scales, max_size=max_size)],
            [
                dict(type='DETRResize', scale=[400, 500, 600]),
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
test_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(
        type='SampleSTCATFrames',
        num_frames=2 * num_frames,
        num_passes=2,
        test_mode=True,
        end_offset=1),
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
    dict(type='DETRResize', scale=448, max_size=max_size),
    text_tokenize,
    dict(type='PackSTVGInputs'),
]
dataset_type = 'VidSTGDataset'
data_root = 'data/vidstg'
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='train_annotations.json',
        data_prefix=dict(video='videos', vidor_anno='vidor/training'),
        skip_invalid=True,
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='val_annotations.json',
        data_prefix=dict(video='videos', vidor_anno='vidor/training'),
        pipeline=test_pipeline,
        test_mode=True))
test_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='test_annotations.json',
        data_prefix=dict(video='videos', vidor_anno='vidor/validation'),
        pipeline=test_pipeline,
        test_mode=True))
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'image_backbone': dict(lr_mult=0.1)}))
max_epochs = 10
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', milestones=[8], gamma=0.1, by_epoch=True, begin=0, end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs, val_begin=max_epochs)
