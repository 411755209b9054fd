train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=10, val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# FastOptimWrapperConstructor: mmengine's default one, with the fused / multi-tensor AdamW
# where the device allows it (mmstvg/engine/optimizers/fast_optim_wrapper_constructor.py)
optim_wrapper = dict(
    type='OptimWrapper',
    constructor='FastOptimWrapperConstructor',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=0.1, norm_type=2))

# The cosine decay has no `end` / `T_max`: mmengine ends it at train_cfg.max_epochs, so that
# `--cfg-options train_cfg.max_epochs=N` rescales the whole schedule.
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        eta_min_ratio=0.01,
        by_epoch=True,
        begin=0,
        convert_to_iter_based=True)
]

# Linear lr scaling with the total batch size (`tools/train.py --auto-scale-lr`).
auto_scale_lr = dict(enable=False, base_batch_size=8)
