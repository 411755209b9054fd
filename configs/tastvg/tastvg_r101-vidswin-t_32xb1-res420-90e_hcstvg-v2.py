# TA-STVG on HC-STVG v2 (experiments/hcstvg2.yaml): v1's recipe with start/end weight 10, lr
# 3e-4 (visual backbone 5e-6). Reported on val.
_base_ = ['./tastvg_r101-vidswin-t_32xb1-res420-90e_hcstvg-v1.py']
data_root = 'data/hcstvg_v2'
model = dict(temporal_head=dict(loss_sted=dict(loss_weight=10.0)))
meta_keys = {{_base_.meta_keys}}
resize = {{_base_.resize}}
train_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(type='SampleSTCATFrames', fps=3.2, max_frames=200, crop_prob=0.5),
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
    resize,
    dict(type='STVGFlip', flip_ratio=0.7),
    dict(type='LoadTASTVGLabels', ann_file=data_root + '/tastvg_annos/train.json'),
    {{_base_.text_tokenize}},
    dict(type='PackSTVGInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(type='SampleSTCATFrames', fps=6.4, max_frames=400, num_passes=2, test_mode=True),
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
    resize,
    dict(type='LoadTASTVGLabels', ann_file=data_root + '/tastvg_annos/test.json'),
    {{_base_.text_tokenize}},
    dict(type='PackSTVGInputs', meta_keys=meta_keys),
]
train_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file='anno_v2/train_v2.json', pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file='anno_v2/val_v2.json', pipeline=test_pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(
    optimizer=dict(lr=3e-4),
    paramwise_cfg=dict(
        custom_keys={
            'image_backbone': dict(lr_mult=5e-6 / 3e-4),
            'text_encoder': dict(lr_mult=5e-5 / 3e-4),
            'decoder.time_': dict(lr_mult=2e-4 / 3e-4),
            '_sampling': dict(lr_mult=5e-4 / 3e-4),
            '_activation': dict(lr_mult=5e-4 / 3e-4)
        }))
