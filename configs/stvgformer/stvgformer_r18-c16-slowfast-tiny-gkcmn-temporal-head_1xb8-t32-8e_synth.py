# Swapping a component by config (docs/advanced_guides/swap_components.md): GKCMN's temporal
# location head (TemporalLocationHead, gkcmn.md §2.4: candidate spans scored by predicted IoU
# and refined by boundary offsets) replaces STVGFormer's 2D-TAN head. It reads the dynamic
# branch's last feature maps (B, d, T, h, w), the features every grounder hands its heads as
# `maps`; its sizes are those of the synthetic GKCMN (configs/gkcmn/
# gkcmn_r3d18-tiny_1xb8-t32-8e_synth.py). Everything else is the synthetic STVGFormer.
# Not benchmarked (no row in docs/model_zoo/synthetic_benchmark.md).
_base_ = ['./stvgformer_r18-c16-slowfast-tiny_1xb8-t32-8e_synth.py']
model = dict(
    temporal_head=dict(
        _delete_=True,
        type='TemporalLocationHead',
        in_channels={{_base_.embed_dims}},
        embed_dims=32,
        num_attn_layers=2,
        num_heads=4,
        anchor_scales=(2, 4, 8, 16, 32),
        conf_thr=0.3,
        loss_conf=dict(type='mmdet.SmoothL1Loss', loss_weight=0.2),
        loss_offset=dict(type='mmdet.SmoothL1Loss', loss_weight=0.1)))
