# The per-frame baseline on hcstvg-v2 (ResNet-18 per frame from an ImageNet checkpoint on disk,
# frozen roberta-base), 64 frames per training sample, evaluated with the `sampled` protocol.
_base_ = [
    '../_base_/models/baseline_r18.py', '../_base_/datasets/hcstvg_v2.py',
    '../_base_/schedules/adamw_10e.py', '../_base_/default_runtime.py'
]
model = dict(
    backbone=dict(
        init_cfg=dict(type='Pretrained', checkpoint='data/pretrained/resnet18-f37072fd.pth')))
auto_scale_lr = dict(enable=False, base_batch_size=16)
