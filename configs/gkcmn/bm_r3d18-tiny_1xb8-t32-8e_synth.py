# The anchor-free baseline BM on the synthetic benchmark (see bm_i3d_vidstg.py for what
# replaces the location heads), same encoders and budget as the synthetic GKCMN.
_base_ = ['./gkcmn_r3d18-tiny_1xb8-t32-8e_synth.py']
model = dict(
    mixed_conv=None,
    spatial_head=dict(map_size=None, single_point=True),
    temporal_head=dict(
        _delete_=True,
        type='SpanScoreHead',
        in_channels=64,
        hidden_dims=32,
        loss_cls=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0)))
