# STVGFormer (configs/stvgformer/README.md): ResNet-101 + RoBERTa-base static branch initialised
# from MDETR, SlowFast-R50 (AVA) clip features for the dynamic branch, N = 6 layers everywhere,
# d = 256, loss weights lambda_1..5 = 5, 2, 0.5, 5, 1 (paper §2.1).
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
    # SlowFast-R50 4x16 of mmaction2's AVA detector (spatial stride 16, 2048 + 256 channels).
    video_backbone=dict(
        type='VideoClipEncoder',
        backbone=dict(
            type='mmaction.ResNet3dSlowFast',
            resample_rate=4,
            speed_ratio=4,
            channel_ratio=8,
            pretrained=None,
            slow_pathway=dict(
                type='resnet3d', depth=50, lateral=True, conv1_kernel=(1, 7, 7),
                dilations=(1, 1, 1, 1), conv1_stride_t=1, pool1_stride_t=1, inflate=(0, 0, 1, 1),
                spatial_strides=(1, 2, 2, 1)),
            fast_pathway=dict(
                type='resnet3d', depth=50, lateral=False, base_channels=8,
                conv1_kernel=(5, 7, 7), conv1_stride_t=1, pool1_stride_t=1,
                spatial_strides=(1, 2, 2, 1))),
        # mmaction2's AVA detector checkpoint: its `backbone.*` keys match this module's
        # (mmaction's SlowFast ignores an init_cfg of its own).
        init_cfg=dict(type='Pretrained',
                      checkpoint='data/pretrained/slowfast_r50_4x16_ava.pth')),
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
        layer_cfg=dict(type='STCMTLayer', num_heads=8, feedforward_channels=2048,
                       dropout=0.1)),
    interaction=dict(
        type='SDIB', num_heads=8, dropout=0.1, static_to_dynamic=True,
        dynamic_to_static=True),
    bbox_head=dict(
        type='QueryBoxHead',
        in_channels=embed_dims,
        hidden_dims=embed_dims,
        num_layers=3,
        loss_bbox=dict(type='mmdet.L1Loss', loss_weight=5.0),      # lambda_1
        loss_giou=dict(type='mmdet.GIoULoss', loss_weight=2.0),    # lambda_2
        loss_aux=dict(type='TemporalAttentiveLoss', loss_weight=0.5)),  # lambda_3
    # 2D-TAN head; d_m, depth and kernel are not given in the paper: 2D-TAN's values.
    temporal_head=dict(
        type='TAN2DHead',
        in_channels=embed_dims,
        map_channels=512,
        num_convs=4,
        kernel_size=5,
        aux_hidden_dims=embed_dims,
        loss_tg=dict(type='ScaledIoUBCELoss', min_iou=0.0, max_iou=1.0,
                     loss_weight=5.0),                              # lambda_4
        loss_aux=dict(type='TemporalAttentiveLoss', loss_weight=1.0)),  # lambda_5
    frame_chunk=96,
    pass_batch=2,
    # Attention kernel of the static branch, STCMT and SDIB: 'naive' | 'sdpa' | 'fused'
    # (mmstvg/ops Triton kernels; falls back to 'sdpa' with a warning where no GPU is present).
    attn_impl='sdpa',
    # MDETR (ResNet-101 + RoBERTa-base) converted by tools/model_converters/mdetr2mmstvg.py
    init_cfg=dict(type='Pretrained',
                  checkpoint='data/pretrained/mdetr_r101_roberta_mmstvg.pth'))
