# STVGFormer on HC-STVG v1 (trained on train, reported on test; v1 has no val split).
_base_ = ['./stvgformer_r101-mdetr-pre-slowfast_8xb1-t48-10e_hcstvg-v2.py']
data_root = 'data/hcstvg_v1'
train_dataloader = dict(dataset=dict(data_root=data_root, ann_file='anno/train.json'))
val_dataloader = dict(dataset=dict(data_root=data_root, ann_file='anno/test.json'))
test_dataloader = val_dataloader
