# Exponential moving average of the weights, as TubeDETR/STCAT train (decay 0.9998: mmengine's
# momentum is 1 - decay). Validation, testing and the checkpoints' `ema_state_dict` use the
# averaged weights. Add '../_base_/ema.py' to a config's `_base_` to enable it.
custom_hooks = [
    dict(
        type='EMAHook',
        ema_type='ExponentialMovingAverage',
        momentum=0.0002,
        update_buffers=True,
        priority=49)
]
