# STCAT (configs/stcat/README.md): ResNet-101 (MDETR's, frozen BatchNorm) + RoBERTa-base,
# spatio-temporal multi-modal encoder, consistency-aware decoder with a spatial (anchor) and a
# temporal decoder, one query per frame, box / start-end / actionness heads. Every value is the
# released code's (jy0205/STCAT config/defaults.py and experiments/*.yaml), HC-STVG's weights;
# the VidSTG config overrides GIoU's weight.
embed_dims = 256
model = dict(
    type='STCAT',
    data_preprocessor=dict(
        type='STVGDataPreprocessor',
        mean=[123.675, 116.28, 103.53],  # INPUT.PIXEL_MEAN / PIXEL_STD x 255
        std=[58.395, 57.12, 57.375],
        text_pad_token_id=1),  # RoBERTa's <pad>
    # torchvision's ResNet-101 as DETR / MDETR use it: frozen BatchNorm; the released code
    # trains layer2-4 (VIS_BACKBONE_LR > 0), the stem and layer1 stay frozen
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
        proj_norm=True,  # FeatureResizer: FC + LayerNorm + dropout 0.1
        proj_dropout=0.1),
    position_encoding=dict(
        type='mmdet.SinePositionalEncoding', num_feats=embed_dims // 2, normalize=True),
    encoder=dict(
        type='STCATEncoder',
        embed_dims=embed_dims,
        num_layers=6,  # ENC_LAYERS
        num_heads=8,
        feedforward_channels=2048,
        dropout=0.1,
        max_len=200),  # INPUT.MAX_VIDEO_LEN
    decoder=dict(
        type='STCATDecoder',
        embed_dims=embed_dims,
        num_layers=6,  # DEC_LAYERS
        num_heads=8,
        feedforward_channels=2048,
        dropout=0.1,
        max_len=200),
    spatial_head=dict(
        type='AnchorBoxHead',
        in_channels=embed_dims,
        hidden_dims=embed_dims,
        num_layers=3,
        loss_bbox=dict(type='mmdet.L1Loss', loss_weight=5.0),  # BBOX_COEF
        loss_giou=dict(type='mmdet.GIoULoss', loss_weight=4.0)),  # GIOU_COEF (HC-STVG)
    temporal_head=dict(
        type='ActionnessStartEndHead',
        in_channels=embed_dims,
        hidden_dims=embed_dims,
        num_layers=2,
        dropout=0.3,
        loss_sted=dict(type='StartEndKLLoss', sigma=2.0, loss_weight=10.0),  # SIGMA, TEMP_COEF
        loss_actionness_weight=2.0,  # ACTIONESS_COEF
        neg_weight=0.3),  # EOS_COEF
    loss_guided_attn=dict(type='GuidedAttentionLoss', loss_weight=1.0),  # ATTN_COEF
    aux_loss=True,
    span_rule='sampled_frames',
    frame_chunk=50,
    # MDETR's ResNet-101 + RoBERTa (converted by tools/model_converters/mdetr2mmstvg.py) for
    # training; a released STCAT checkpoint converted by stcat2mmstvg.py for tools/test.py
    init_cfg=None)
