# The synthetic benchmark's training budget, shared by every synthetic config so that models
# are compared at equal budgets: 8 epochs of 1,000 queries, AdamW lr 2e-3 with a 1-epoch
# linear warm-up and cosine decay (adamw_10e.py's schedule), gradient clipping at 1.0,
# validation at the end only. train_cfg.max_epochs is the one place the length is set: the
# cosine decay has no `end` / `T_max` (mmengine ends it at max_epochs) and mmengine's loop
# validates every val_interval epochs and after the last one, so
# `--cfg-options train_cfg.max_epochs=N` rescales the schedule (N <= 8: validation at the end
# only).
_base_ = ['./adamw_10e.py']

train_cfg = dict(max_epochs=8, val_interval=8)
optim_wrapper = dict(optimizer=dict(lr=2e-3), clip_grad=dict(max_norm=1.0))
