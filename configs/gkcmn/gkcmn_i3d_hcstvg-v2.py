# GKCMN on HC-STVG v2 with precomputed I3D feature maps (same model and schedule as VidSTG).
_base_ = ['./gkcmn_i3d_vidstg.py']
dataset_type = 'HCSTVGDataset'
data_root = 'data/hcstvg_v2'
prefix = dict(video='videos', feature='features/i3d')
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='anno_v2/train_v2.json',
        data_prefix=prefix,
        skip_invalid=True,
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='anno_v2/val_v2.json',
        data_prefix=prefix,
        test_mode=True,
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
