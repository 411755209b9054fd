# The paper's anchor-free baseline BM (§3, Table 1): GKCMN without the mixed convolutional
# network and the location heads. What replaces the heads is not described; here: a
# single-point heatmap + ltrb head at the feature-map resolution (no up-sampling, no Gaussian
# kernel) and a per-step in-span score (best contiguous run) instead of the temporal
# location head.
_base_ = ['./gkcmn_i3d_vidstg.py']
model = dict(
    mixed_conv=None,
    spatial_head=dict(map_size=None, single_point=True),
    temporal_head=dict(
        _delete_=True,
        type='SpanScoreHead',
        in_channels=64,
        hidden_dims=32,
        loss_cls=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0)))
