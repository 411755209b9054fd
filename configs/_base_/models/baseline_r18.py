# mmstvg's per-frame baseline (configs/baselines/README.md): mmdet ResNet-18 per frame,
# a transformers text encoder, text-guided pooling, temporal convolutions, box + span heads.
embed_dims = 256
model = dict(
    type='BaselineGrounder',
    data_preprocessor=dict(
        type='STVGDataPreprocessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    backbone=dict(
        type='mmdet.ResNet',
        depth=18,
        num_stages=3,
        strides=(1, 2, 2),
        dilations=(1, 1, 1),
        out_indices=(2, ),
        norm_eval=False),
    text_encoder=dict(
        type='HFTextEncoder',
        pretrained='data/pretrained/roberta-base',
        out_channels=embed_dims,
        pooling='mean',
        freeze=True),
    neck=dict(
        type='TextGuidedPooling', in_channels=256, text_channels=embed_dims,
        embed_dims=embed_dims),
    temporal_neck=dict(
        type='TemporalConvNeck',
        in_channels=embed_dims,
        text_channels=embed_dims,
        embed_dims=embed_dims,
        dilations=(1, 2, 4, 8)),
    spatial_head=dict(
        type='TubeBoxHead',
        in_channels=embed_dims,
        hidden_dims=embed_dims,
        loss_bbox=dict(type='mmdet.L1Loss', loss_weight=5.0),
        loss_giou=dict(type='mmdet.GIoULoss', loss_weight=2.0)),
    temporal_head=dict(
        type='SpanScoreHead',
        in_channels=embed_dims,
        hidden_dims=embed_dims,
        score_thr=0.5,
        loss_cls=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True, loss_weight=2.0)),
    loss_attn=dict(type='SpatialAttentionLoss', loss_weight=1.0),
    frame_chunk=64)
