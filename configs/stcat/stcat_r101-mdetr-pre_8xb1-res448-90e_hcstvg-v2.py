# STCAT on HC-STVG v2 (no released STCAT model nor yaml for v2: HC-STVG v1's settings on v2's
# data; CG-STVG and TA-STVG report v2 with the same recipe). v2 is reported on val.
_base_ = ['./stcat_r101-mdetr-pre_8xb1-res448-90e_hcstvg-v1.py']
data_root = 'data/hcstvg_v2'
train_dataloader = dict(dataset=dict(data_root=data_root, ann_file='anno_v2/train_v2.json'))
val_dataloader = dict(dataset=dict(data_root=data_root, ann_file='anno_v2/val_v2.json'))
test_dataloader = val_dataloader
