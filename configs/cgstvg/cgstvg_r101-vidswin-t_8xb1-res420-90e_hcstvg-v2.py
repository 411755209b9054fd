# CG-STVG on HC-STVG v2 (experiments/hcstvg2.yaml): v1's settings on v2's data, with the
# training-time reliable-frame threshold SPAT_GT_THETA 0.7 (v1: 0.8). Reported on val.
_base_ = ['./cgstvg_r101-vidswin-t_8xb1-res420-90e_hcstvg-v1.py']
data_root = 'data/hcstvg_v2'
model = dict(decoder=dict(guidance=dict(train_iou_thr=0.7)))
train_dataloader = dict(dataset=dict(data_root=data_root, ann_file='anno_v2/train_v2.json'))
val_dataloader = dict(dataset=dict(data_root=data_root, ann_file='anno_v2/val_v2.json'))
test_dataloader = val_dataloader
