# TubeDETR (configs/tubedetr/README.md): ResNet-101 + RoBERTa-base initialised from MDETR,
# video-text encoder with a slow multi-modal branch on every k-th frame and a fast visual
# branch, space-time decoder with one query per frame, box and start/end heads. Every value is
# the released code's default (antoyang/TubeDETR main.py), the paper's settings.
embed_dims = 256
model = dict(
    type='TubeDETR',
    data_preprocessor=dict(
        type='STVGDataPreprocessor',
        mean=[123.675, 116.28, 103.53],  # ImageNet mean / std of [0, 1] pixels x 255
        std=[58.395, 57.12, 57.375],
        text_pad_token_id=1),  # RoBERTa's <pad>
    # torchvision's ResNet-101 as DETR/MDETR use it: frozen BatchNorm, stem + layer1 frozen
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
        proj_norm=True,  # MDETR's FeatureResizer: FC + LayerNorm + dropout 0.1
        proj_dropout=0.1,
        pooling='mean'),
    encoder=dict(
        type='SpaceTimeEncoder',
        stride=4,  # k: one slow frame every 4 frames (the released k=4 models)
        with_fast=True,
        cross_modal_encoder=dict(
            type='StaticBranch',
            embed_dims=embed_dims,
            num_encoder_layers=6,
            num_decoder_layers=0,
            num_heads=8,
            feedforward_channels=2048,
            dropout=0.1,
            attn_dropout=0.1)),
    decoder=dict(
        type='SpaceTimeDecoder',
        embed_dims=embed_dims,
        num_layers=6,
        num_heads=8,
        feedforward_channels=2048,
        dropout=0.1,
        max_len=200,  # video_max_len: frames per video at most
        time_embed=True),
    spatial_head=dict(
        type='QueryBoxHead',
        in_channels=embed_dims,
        hidden_dims=embed_dims,
        num_layers=3,
        loss_bbox=dict(type='mmdet.L1Loss', loss_weight=5.0),  # bbox_loss_coef
        loss_giou=dict(type='mmdet.GIoULoss', loss_weight=2.0),  # giou_loss_coef
        loss_aux=None),  # TubeDETR's box head has no in-span score
    temporal_head=dict(
        type='StartEndHead',
        in_channels=embed_dims,
        hidden_dims=embed_dims,
        num_layers=2,
        dropout=0.5,
        loss_sted=dict(type='StartEndKLLoss', sigma=1.0, loss_weight=10.0)),  # sted_loss_coef
    loss_guided_attn=dict(type='GuidedAttentionLoss', loss_weight=1.0),  # guided_attn_loss_coef
    aux_loss=True,
    span_rule='sampled_frames',
    frame_chunk=50,
    # MDETR (ResNet-101 + RoBERTa-base) converted by tools/model_converters/mdetr2mmstvg.py
    # with --target tubedetr (README); a released TubeDETR checkpoint is given to
    # tools/test.py instead.
    init_cfg=None)
