# TubeDETR on HC-STVG v1 (trained on train, reported on test; v1 has no val split): the
# released command adds `--epochs=40 --eval_skip=40` to HC-STVG v2's (without --v2).
_base_ = ['./tubedetr_r101-mdetr-pre_16xb1-k4-res352-20e_hcstvg-v2.py']
data_root = 'data/hcstvg_v1'
train_dataloader = dict(dataset=dict(data_root=data_root, ann_file='anno/train.json'))
val_dataloader = dict(dataset=dict(data_root=data_root, ann_file='anno/test.json'))
test_dataloader = val_dataloader
max_epochs = 40
param_scheduler = [  # lr x0.1 every 10 epochs (--lr_drop 10)
    dict(
        type='MultiStepLR',
        milestones=[10, 20, 30],
        gamma=0.1,
        by_epoch=True,
        begin=0,
        end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs, val_begin=max_epochs, val_interval=max_epochs)
