# GKCMN (configs/gkcmn/README.md): I3D feature maps (7x7; precomputed by
# tools/data/extract_features.py; the paper's Inception I3D has 1024 channels, mmaction2's
# ResNet-50 I3D 2048: the feature configs set `visual_channels` from their extractor config's
# `out_channels`), GloVe 300-d + 2 self-attention layers + Bi-GRU, Eq. 1
# interaction, mixed serial/parallel conv net, Gaussian heatmap head (L = 16, gamma = 0.8),
# temporal location head (c = 0.3); alpha_1..4 = 1.0, 2.0, 0.2, 0.1; d = 32 (paper §3).
embed_dims = 32
model = dict(
    type='GKCMN',
    data_preprocessor=dict(type='STVGDataPreprocessor', text_pad_token_id=0),
    text_encoder=dict(
        type='GloVeTextEncoder',
        # the GloVe lines (glove.840B.300d) of the words of the dataset's sentences, written
        # by tools/data/build_glove_vocab.py: the vocabulary and the vectors in one file
        # (docs/dataset_prepare.md); the whole 2.2M-word file would work too, read at every
        # start
        glove_file='data/pretrained/glove_vocab.txt',
        vocab_file='data/pretrained/glove_vocab.txt',
        embed_dims=300,
        num_attn_layers=2,
        num_heads=4,
        hidden_dims=256),
    interaction=dict(
        type='CrossModalInteraction',
        visual_channels=2048,  # configs/_base_/feature_extractors/i3d_r50_k400.py
        text_channels=256,
        embed_dims=embed_dims),
    mixed_conv=dict(type='MixedConvNet', in_channels=2 * embed_dims),
    spatial_head=dict(
        type='GaussianHeatmapHead',
        in_channels=2 * embed_dims,
        feat_channels=embed_dims,
        map_size=16,
        loss_heatmap=dict(
            type='ThresholdGaussianFocalLoss', alpha=2.0, beta=4.0, gamma=0.8,
            loss_weight=1.0),  # alpha_1
        loss_bbox=dict(type='mmdet.GIoULoss', loss_weight=2.0)),  # alpha_2
    temporal_head=dict(
        type='TemporalLocationHead',
        in_channels=2 * embed_dims,
        embed_dims=embed_dims,
        num_attn_layers=2,
        conf_thr=0.3,
        loss_conf=dict(type='mmdet.SmoothL1Loss', loss_weight=0.2),  # alpha_3
        loss_offset=dict(type='mmdet.SmoothL1Loss', loss_weight=0.1)))  # alpha_4
