# Swapping a component by config (docs/advanced_guides/swap_components.md): STVGFormer's
# 2D-TAN head (TAN2DHead, stvgformer.md §1.4: a 2D proposal map scored by convolutions, with
# an auxiliary in-span MLP) replaces GKCMN's temporal location head. It reads the fused maps
# M_mix pooled over space (B, T, 2 d), the features every grounder hands its heads as `seq`;
# its sizes and loss weights are those of the synthetic STVGFormer (configs/stvgformer/
# stvgformer_r18-c16-slowfast-tiny_1xb8-t32-8e_synth.py). Everything else is the synthetic
# GKCMN. Not benchmarked (no row in docs/model_zoo/synthetic_benchmark.md).
_base_ = ['./gkcmn_r3d18-tiny_1xb8-t32-8e_synth.py']
model = dict(
    temporal_head=dict(
        _delete_=True,
        type='TAN2DHead',
        in_channels=64,  # 2 d: the channels of M_mix (d = embed_dims = 32)
        map_channels=64,
        num_convs=2,
        kernel_size=5,
        aux_hidden_dims=64,
        loss_tg=dict(type='ScaledIoUBCELoss', loss_weight=5.0),
        loss_aux=dict(type='TemporalAttentiveLoss', loss_weight=1.0)))
