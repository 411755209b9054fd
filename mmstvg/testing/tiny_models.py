"""Tiny model configs and demo inputs for tests (random init, no hub, seconds on a CPU)."""
import copy
from typing import List, Tuple

import torch
from mmengine.structures import BaseDataElement

from mmstvg.structures import STVGDataSample

TINY_ROBERTA = dict(
    model_type='roberta', vocab_size=64, hidden_size=32, num_hidden_layers=1,
    num_attention_heads=2, intermediate_size=64, max_position_embeddings=40,
    hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, pad_token_id=1)


def get_tiny_baseline_cfg(text_encoder: dict = None, embed_dims: int = 32) -> dict:
    """A ``BaselineGrounder`` config small enough for unit tests (~0.2 M parameters).

    Args:
        text_encoder (dict, optional): replaces the random tiny RoBERTa.
        embed_dims (int): width of necks and heads.
    """
    text_encoder = text_encoder or dict(type='HFTextEncoder', config=TINY_ROBERTA)
    text_channels = embed_dims
    text_encoder = dict(text_encoder, out_channels=text_channels)
    return dict(
        type='BaselineGrounder',
        data_preprocessor=dict(
            type='STVGDataPreprocessor', mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375]),
        backbone=dict(type='mmdet.ResNet', depth=18, base_channels=8, num_stages=3,
                      strides=(1, 2, 2), dilations=(1, 1, 1), out_indices=(2, ),
                      norm_eval=False, init_cfg=None),
        text_encoder=text_encoder,
        neck=dict(type='TextGuidedPooling', in_channels=32, text_channels=text_channels,
                  embed_dims=embed_dims),
        temporal_neck=dict(type='TemporalConvNeck', in_channels=embed_dims,
                           text_channels=text_channels, embed_dims=embed_dims),
        bbox_head=dict(type='TubeBoxHead', in_channels=embed_dims, hidden_dims=embed_dims),
        span_head=dict(type='SpanScoreHead', in_channels=embed_dims, hidden_dims=embed_dims),
        loss_attn=dict(type='SpatialAttentionLoss', loss_weight=1.0))


TINY_VIDEO_BACKBONE = dict(
    type='VideoClipEncoder',
    backbone=dict(type='mmaction.ResNet3d', depth=18, base_channels=8, num_stages=2,
                  out_indices=(1, ), spatial_strides=(1, 2), temporal_strides=(1, 1),
                  dilations=(1, 1), conv1_stride_t=1, pool1_stride_t=1,
                  inflate=((0, 0), (1, 1)), pretrained=None, pretrained2d=False,
                  norm_eval=False))


def _tiny_pathway(**kwargs) -> dict:
    return dict(type='resnet3d', depth=18, num_stages=2, conv1_stride_t=1, pool1_stride_t=1,
                spatial_strides=(1, 2), temporal_strides=(1, 1), dilations=(1, 1),
                out_indices=(1, ), norm_eval=False, pretrained=None, **kwargs)


# A randomly initialised SlowFast (mmaction2) with 1/8-width slow (8 base channels) and
# 1/32-width fast (2) ResNet-18 pathways, first two stages: 16 + 4 output channels, stride 2.
TINY_SLOWFAST_BACKBONE = dict(
    type='mmaction.ResNet3dSlowFast', resample_rate=4, speed_ratio=4, channel_ratio=4,
    pretrained=None,
    slow_pathway=_tiny_pathway(base_channels=8, lateral=True, lateral_activate=(1, 1),
                               conv1_kernel=(1, 7, 7), inflate=(0, 1)),
    fast_pathway=_tiny_pathway(base_channels=2, lateral=False, conv1_kernel=(5, 7, 7),
                               inflate=(1, 1)))


def get_tiny_stvgformer_cfg(embed_dims: int = 32, num_layers: int = 2,
                            video_backbone: dict = TINY_VIDEO_BACKBONE,
                            clip_channels: int = 16, interaction: dict = dict(type='SDIB'),
                            text_encoder: dict = None) -> dict:
    """An ``STVGFormer`` config small enough for unit tests.

    Args:
        embed_dims (int): ``d``.
        num_layers (int): ``N`` (encoder, decoder and STCMT layers).
        video_backbone (dict, optional): clip encoder; None reads ``inputs['features']``
            with ``clip_channels`` channels.
        clip_channels (int): channels of the clip features.
        interaction (dict, optional): ``SDIB`` config or None.
        text_encoder (dict, optional): replaces the random tiny RoBERTa.
    """
    text_encoder = text_encoder or dict(type='HFTextEncoder', config=TINY_ROBERTA)
    heads = embed_dims // 16
    return dict(
        type='STVGFormer',
        data_preprocessor=dict(
            type='STVGDataPreprocessor', mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375]),
        image_backbone=dict(type='mmdet.ResNet', depth=18, base_channels=8, num_stages=3,
                            strides=(1, 2, 2), dilations=(1, 1, 1), out_indices=(2, ),
                            norm_eval=False, init_cfg=None),
        image_channels=32,
        text_encoder=dict(text_encoder, out_channels=embed_dims),
        video_backbone=video_backbone,
        static_branch=dict(type='StaticBranch', embed_dims=embed_dims,
                           num_encoder_layers=num_layers, num_decoder_layers=num_layers,
                           num_heads=heads, feedforward_channels=2 * embed_dims, dropout=0.0),
        dynamic_branch=dict(type='STCMT', in_channels=clip_channels, embed_dims=embed_dims,
                            num_layers=num_layers,
                            layer_cfg=dict(type='STCMTLayer', num_heads=heads,
                                           feedforward_channels=2 * embed_dims, dropout=0.0)),
        interaction=None if interaction is None else dict(interaction, num_heads=heads,
                                                          dropout=0.0),
        bbox_head=dict(type='QueryBoxHead', in_channels=embed_dims, hidden_dims=embed_dims),
        temporal_head=dict(type='TAN2DHead', in_channels=embed_dims, map_channels=embed_dims,
                           num_convs=2, kernel_size=3, aux_hidden_dims=embed_dims))


def get_tiny_gkcmn_cfg(feature_channels: int = 16, embed_dims: int = 8, bm: bool = False,
                       vocab_size: int = 64) -> dict:
    """A ``GKCMN`` (or, with ``bm=True``, BM) config for unit tests, reading precomputed
    feature maps ``inputs['features']`` (B, T, h, w, ``feature_channels``)."""
    cfg = dict(
        type='GKCMN',
        data_preprocessor=dict(type='STVGDataPreprocessor'),
        text_encoder=dict(type='GloVeTextEncoder', vocab_size=vocab_size, embed_dims=16,
                          num_attn_layers=1, num_heads=2, hidden_dims=16),
        interaction=dict(type='CrossModalInteraction', visual_channels=feature_channels,
                         text_channels=16, embed_dims=embed_dims),
        mixed_conv=dict(type='MixedConvNet', in_channels=2 * embed_dims),
        spatial_head=dict(type='GaussianHeatmapHead', in_channels=2 * embed_dims,
                          feat_channels=embed_dims, map_size=8),
        temporal_head=dict(type='TemporalLocationHead', in_channels=2 * embed_dims,
                           embed_dims=embed_dims, num_attn_layers=1, num_heads=2,
                           anchor_scales=(2, 4, 8)))
    if bm:
        cfg.update(mixed_conv=None,
                   spatial_head=dict(cfg['spatial_head'], map_size=None, single_point=True),
                   temporal_head=dict(type='SpanScoreHead', in_channels=2 * embed_dims,
                                      hidden_dims=embed_dims))
    return cfg


def demo_grounding_inputs(batch_size: int = 2, num_frames: int = 8,
                          img_shape: Tuple[int, int] = (64, 64), text_len: int = 6,
                          vocab_size: int = 64, seed: int = 0) -> Tuple[dict, List]:
    """Random preprocessed inputs and data samples with a consistent GT tube.

    Sample ``i`` has frames ``0, 2, 4, ...`` of a ``2 * num_frames``-frame video of twice the
    size of ``img_shape`` (``scale_factor`` 0.5); its GT span covers sampled positions
    ``[2, num_frames - 2)``, with a fixed box.

    Returns:
        tuple: ``inputs`` (imgs (B, N, 3, H, W), frame_mask (B, N), text) and the samples.
    """
    g = torch.Generator().manual_seed(seed)
    h, w = img_shape
    inputs = dict(
        imgs=torch.randn(batch_size, num_frames, 3, h, w, generator=g),
        frame_mask=torch.ones(batch_size, num_frames, dtype=torch.bool),
        text=dict(
            input_ids=torch.randint(3, vocab_size, (batch_size, text_len), generator=g),
            attention_mask=torch.ones(batch_size, text_len, dtype=torch.long)))
    frame_inds = list(range(0, 2 * num_frames, 2))
    in_span = torch.zeros(num_frames, dtype=torch.bool)
    in_span[2:num_frames - 2] = True
    box = torch.tensor([w * 0.2, h * 0.3, w * 0.5, h * 0.7])
    samples = []
    for i in range(batch_size):
        s = STVGDataSample(metainfo=dict(
            qid=f'q{i}', img_shape=(h, w), ori_shape=(2 * h, 2 * w), scale_factor=[0.5, 0.5],
            frame_inds=copy.copy(frame_inds), clip=(0, 2 * num_frames), num_frames=2 * num_frames,
            fps=10.0, sentence_type=None))
        span = (frame_inds[2], frame_inds[num_frames - 2])
        s.gt_tube = BaseDataElement(
            span=torch.tensor(span),
            bboxes=(box * 2).expand(span[1] - span[0], 4).clone(),
            frame_bboxes=box.expand(num_frames, 4) * in_span[:, None],
            frame_in_span=in_span.clone())
        samples.append(s)
    return inputs, samples
