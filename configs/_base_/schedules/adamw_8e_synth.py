# The synthetic benchmark's training budget, shared by every synthetic config so that models
# are compared at equal budgets: 8 epochs of 1,000 queries, AdamW lr 2e-3 with a 1-epoch
# linear warm-up and cosine decay, gradient clipping at 1.0, validation at the end only.
# train_cfg.max_epochs is the one place the length is set: the cosine decay has no `end` /
# `T_max` (mmengine ends it at max_epochs) and mmengine's loop validates every val_interval
# epochs and after the last one, so `--cfg-options train_cfg.max_epochs=N` rescales the
# schedule (N <= 8: validation at the end only).
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=8, val_begin=1, val_interval=8)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=1.0, norm_type=2))
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
auto_scale_lr = dict(enable=False, base_batch_size=8)
