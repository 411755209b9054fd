# Supervised fine-tuning of a multimodal LLM grounder (MLLMGrounder.loss: the answer tokens'
# cross-entropy): 2 epochs, AdamW lr 2e-4 for LoRA adapters (use ~1e-5 for full fine-tuning),
# no weight decay, a linear warm-up over the first 100 iterations, cosine decay, gradient
# clipping at 1.0. As every schedule here, train_cfg.max_epochs is the one place the length is
# set (the cosine decay ends at max_epochs).
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=2, val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-4, weight_decay=0.0, betas=(0.9, 0.999)),
    clip_grad=dict(max_norm=1.0, norm_type=2))

param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(
        type='CosineAnnealingLR',
        eta_min_ratio=0.0,
        by_epoch=True,
        begin=0,
        convert_to_iter_based=True)
]

# Linear lr scaling with the total batch size (`tools/train.py --auto-scale-lr`).
auto_scale_lr = dict(enable=False, base_batch_size=8)
