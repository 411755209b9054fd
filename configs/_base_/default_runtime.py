default_scope = 'mmstvg'

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # keep the best m_vIoU checkpoint (mmengine cannot infer the rule of 'auto' for m_tIoU)
    # atomic writes: a run killed while saving never leaves a truncated checkpoint
    checkpoint=dict(
        type='CheckpointHook',
        interval=1,
        save_best='m_vIoU',
        rule='greater',
        max_keep_ckpts=3,
        backend_args=dict(backend='atomic_local')),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # every RNG (main process and DataLoader workers, persistent or not) reseeded from
    # (seed, epoch) at each epoch start: a resumed run draws what an uninterrupted one does
    epoch_seed=dict(type='EpochSeedHook'),
    # a loaded checkpoint must cover the model (`allow_partial_load = True` to allow less)
    checkpoint_coverage=dict(type='CheckpointCoverageHook'),
    sync_buffers=dict(type='SyncBuffersHook'),
    visualization=dict(type='STVGVisualizationHook', draw=False))

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))

log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='STVGVisualizer', vis_backends=vis_backends, name='visualizer')

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, diff_rank_seed=False, deterministic=False)
