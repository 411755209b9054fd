# HC-STVG v1 (docs/dataset_prepare.md): anno/{train,test}.json + videos (4,500 / 1,160).
# Same pipelines and evaluation as v2; v1 has no val split: papers report the test split.
_base_ = './hcstvg_v2.py'

data_root = 'data/hcstvg_v1'
train_dataloader = dict(dataset=dict(data_root=data_root, ann_file='anno/train.json'))
val_dataloader = dict(dataset=dict(data_root=data_root, ann_file='anno/test.json'))
test_dataloader = val_dataloader
