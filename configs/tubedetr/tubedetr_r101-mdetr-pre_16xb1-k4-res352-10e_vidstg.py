# TubeDETR on VidSTG (declarative and interrogative sentences, reported per type): the released
# command `--combine_datasets=vidstg --combine_datasets_val=vidstg` (10 epochs, the default,
# so no lr drop) with the released checkpoint's k=4 res=352. Same model and frames as HC-STVG
# v2; VidSTG's annotation files and VidOR boxes.
_base_ = ['./tubedetr_r101-mdetr-pre_16xb1-k4-res352-20e_hcstvg-v2.py']
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
