# TubeDETR on VidSTG, the released "k=2 res=224" model: the k=2 res=224 model and transforms of
# the HC-STVG v2 k=2 config, VidSTG's data and schedule as
# tubedetr_r101-mdetr-pre_16xb1-k4-res352-10e_vidstg.py.
_base_ = ['./tubedetr_r101-mdetr-pre_16xb1-k2-res224-20e_hcstvg-v2.py']
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
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='val_annotations.json',
        data_prefix=dict(video='videos', vidor_anno='vidor/training'),
        pipeline={{_base_.test_pipeline}},
        test_mode=True))
test_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='test_annotations.json',
        data_prefix=dict(video='videos', vidor_anno='vidor/validation'),
        pipeline={{_base_.test_pipeline}},
        test_mode=True))
max_epochs = 10
param_scheduler = [
    dict(type='MultiStepLR', milestones=[10], gamma=0.1, by_epoch=True, begin=0, end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs)
