# STVGFormer on VidSTG (declarative and interrogative sentences; reported per type too).
# Same model, frames and schedule as HC-STVG v2; VidSTG's annotation files and VidOR boxes.
_base_ = ['./stvgformer_r101-mdetr-pre-slowfast_8xb1-t48-10e_hcstvg-v2.py']
dataset_type = 'VidSTGDataset'
data_root = 'data/vidstg'
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='train_annotations.json',
        data_prefix=dict(video='videos', vidor_anno='vidor/training')))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='val_annotations.json',
        data_prefix=dict(video='videos', vidor_anno='vidor/training')))
test_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='test_annotations.json',
        data_prefix=dict(video='videos', vidor_anno='vidor/validation')))
