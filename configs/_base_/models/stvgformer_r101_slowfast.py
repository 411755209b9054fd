# STVGFormer (configs/stvgformer/README.md): ResNet-101 + RoBERTa-base static branch initialised
# from MDETR, SlowFast-R50 (AVA) clip features for the dynamic branch, N = 6 layers everywhere,
# d = 256, loss weights lambda_1..5 = 5, 2, 0.5, 5, 1 (paper §2.1). The clip features are
# precomputed (paper §1.2: "from T uniformly sampled video clips by a pretrained 3D-CNN"):
# tools/data/extract_features.py with configs/_base_/feature_extractors/slowfast_r50_4x16_ava.py
# (2048 + 256 channels), read by LoadSTVGFeatures; `video_backbone` is None. The online option
# (SlowFast over the sampled frames) is
# configs/stvgformer/stvgformer_r101-mdetr-pre-slowfast-online_8xb1-t48-10e_hcstvg-v2.py.
embed_dims = 256
num_layers = 6
model = dict(
    type='STVGFormer',
    data_preprocessor=dict(
        type='STVGDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        text_pad_token_id=1),  # RoBERTa's <pad>
    # ResNet-101 as in MDETR: frozen BN statistics and affine, stem + layer1 frozen.
    image_backbone=dict(
        type='mmdet.ResNet',
        depth=101,
        num_stages=4,
        out_indices=(3, ),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        style='pytorch'),
    image_channels=2048,
    text_encoder=dict(
        type='HFTextEncoder',
        pretrained='data/pretrained/roberta-base',
        out_channels=embed_dims,
        proj_norm=True,  # MDETR's FeatureResizer (FC + LayerNorm)
        pooling='mean'),
    video_backbone=None,
    static_branch=dict(
        type='StaticBranch',
        embed_dims=embed_dims,
        num_encoder_layers=num_layers,
        num_decoder_layers=num_layers,
        num_heads=8,
        feedforward_channels=2048,
        dropout=0.1),
    dynamic_branch=dict(
        type='STCMT',
        in_channels=2048 + 256,
        embed_dims=embed_dims,
        num_layers=num_layers,
        layer_cfg=dict(type='STCMTLayer', num_heads=8, feedforward_channels=2048, dropout=0.1)),
    interaction=dict(
        type='SDIB', num_heads=8, dropout=0.1, static_to_dynamic=True, dynamic_to_static=True),
    spatial_head=dict(
        type='QueryBoxHead',
        in_channels=embed_dims,
        hidden_dims=embed_dims,
        num_layers=3,
        loss_bbox=dict(type='mmdet.L1Loss', loss_weight=5.0),  # lambda_1
        loss_giou=dict(type='mmdet.GIoULoss', loss_weight=2.0),  # lambda_2
        loss_aux=dict(type='TemporalAttentiveLoss', loss_weight=0.5)),  # lambda_3
    # 2D-TAN head; d_m, depth and kernel are not given in the paper (nor the paper's
    # Aug. 2D-TAN [8] values): 2D-TAN's ActivityNet setting "64x64-K9L4" (microsoft/VideoX
    # 2D-TAN/experiments/activitynet/2D-TAN-64x64-K9L4-pool.yaml: 512 channels, 4 convs of
    # kernel 9), the published map size closest to T = 48 (2D-TAN's others: 16x16 and
    # 128x128 maps, 8 convs of kernel 5).
    temporal_head=dict(
        type='TAN2DHead',
        in_channels=embed_dims,
        map_channels=512,
        num_convs=4,
        kernel_size=9,
        aux_hidden_dims=embed_dims,
        loss_tg=dict(type='ScaledIoUBCELoss', min_iou=0.0, max_iou=1.0,
                     loss_weight=5.0),  # lambda_4
        loss_aux=dict(type='TemporalAttentiveLoss', loss_weight=1.0)),  # lambda_5
    frame_chunk=96,
    test_cfg=dict(pass_batch=2),  # passes of a long video run together (multi-pass test)
    # MDETR's auxiliary decoding losses (the static head on every decoder layer): on by
    # default in MDETR (ashkamath/mdetr main.py: `--no_aux_loss` disables them); the paper
    # follows "the practice in MDETR" for training.
    aux_loss=True,
    # Attention kernel of the static branch, STCMT and SDIB: 'naive' | 'sdpa' | 'fused'
    # (mmstvg/ops Triton kernels; falls back to 'sdpa' with a warning where no GPU is present).
    attn_impl='sdpa',
    # MDETR (ResNet-101 + RoBERTa-base) converted by tools/model_converters/mdetr2mmstvg.py
    init_cfg=dict(type='Pretrained', checkpoint='data/pretrained/mdetr_r101_roberta_mmstvg.pth'))
