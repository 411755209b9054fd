"""Tiny model configs and demo inputs for tests (random init, no hub, seconds on a CPU).

The model configs are those of the real synthetic configs under ``configs/`` (as mmdet's
``get_detector_cfg``), with sizes overridden: a test builds what the configs build (types,
losses, loss weights, options), so a changed config is tested, not a hand-written copy.
"""
import copy
import os.path as osp
from typing import List, Optional, Tuple

import torch
from mmengine.config import Config
from mmengine.structures import BaseDataElement

from mmstvg.structures import STVGDataSample
from .scripts import REPO

TINY_ROBERTA = dict(
    model_type='roberta',
    vocab_size=64,
    hidden_size=32,
    num_hidden_layers=1,
    num_attention_heads=2,
    intermediate_size=64,
    max_position_embeddings=40,
    hidden_dropout_prob=0.0,
    attention_probs_dropout_prob=0.0,
    pad_token_id=1)

#: The configs whose models the tiny builders shrink.
BASELINE_CONFIG = 'baselines/baseline_r18-c16-s8_1xb8-t32-8e_synth.py'
STVGFORMER_CONFIG = 'stvgformer/stvgformer_r18-c16-slowfast-tiny_1xb8-t32-8e_synth.py'
#: STVGFormer with GKCMN's heatmap head on the dynamic maps (a component swap by config).
STVGFORMER_HEATMAP_CONFIG = \
    'stvgformer/stvgformer_r18-c16-slowfast-tiny-heatmap-head_1xb8-t32-8e_synth.py'
GKCMN_CONFIG = 'gkcmn/gkcmn_r3d18-tiny_1xb8-t32-8e_synth.py'
BM_CONFIG = 'gkcmn/bm_r3d18-tiny_1xb8-t32-8e_synth.py'
TUBEDETR_CONFIG = 'tubedetr/tubedetr_r18-c16-tiny_1xb8-t32-8e_synth.py'
STCAT_CONFIG = 'stcat/stcat_r18-c16-tiny_1xb8-t32-8e_synth.py'


def get_config_file(fname: str) -> str:
    """Path of ``configs/<fname>`` of the mmstvg source tree.

    Raises:
        FileNotFoundError: no such config (or mmstvg is not installed from its sources).
    """
    path = osp.join(REPO, 'configs', fname)
    if not osp.isfile(path):
        raise FileNotFoundError(f'config {fname} not found at {path} (the tests need the '
                                'mmstvg source tree)')
    return path


def get_model_cfg(fname: str, overrides: Optional[dict] = None) -> dict:
    """The ``model`` of ``configs/<fname>`` (a deep copy), with ``overrides`` merged.

    Args:
        fname (str): config path relative to ``configs/``.
        overrides (dict, optional): dotted keys below ``model`` (``'neck.embed_dims'``) to
            values, merged as ``--cfg-options`` are (a dict value is merged into the
            config's dict; ``_delete_=True`` in it replaces the dict, None removes a
            component).

    Returns:
        dict: the model config.
    """
    cfg = Config.fromfile(get_config_file(fname))
    if overrides:
        cfg.merge_from_dict({f'model.{k}': v for k, v in overrides.items()})
    return copy.deepcopy(cfg.model.to_dict())


def _replace(value: Optional[dict]) -> Optional[dict]:
    """A component config that replaces the config's one instead of being merged into it."""
    return None if value is None else dict(value, _delete_=True)


def get_tiny_baseline_cfg(text_encoder: dict = None, embed_dims: int = 32) -> dict:
    """The ``BaselineGrounder`` of :data:`BASELINE_CONFIG` with a random tiny RoBERTa and
    ``embed_dims`` channels (~0.2 M parameters).

    Args:
        text_encoder (dict, optional): replaces the random tiny RoBERTa.
        embed_dims (int): width of the text features, necks and heads.
    """
    text_encoder = text_encoder or dict(type='HFTextEncoder', config=TINY_ROBERTA)
    return get_model_cfg(
        BASELINE_CONFIG, {
            'text_encoder': _replace(dict(text_encoder, out_channels=embed_dims)),
            'neck.text_channels': embed_dims,
            'neck.embed_dims': embed_dims,
            'temporal_neck.in_channels': embed_dims,
            'temporal_neck.text_channels': embed_dims,
            'temporal_neck.embed_dims': embed_dims,
            'spatial_head.in_channels': embed_dims,
            'spatial_head.hidden_dims': embed_dims,
            'temporal_head.in_channels': embed_dims,
            'temporal_head.hidden_dims': embed_dims
        })


TINY_VIDEO_BACKBONE = dict(
    type='VideoClipEncoder',
    backbone=dict(
        type='mmaction.ResNet3d',
        depth=18,
        base_channels=8,
        num_stages=2,
        out_indices=(1, ),
        spatial_strides=(1, 2),
        temporal_strides=(1, 1),
        dilations=(1, 1),
        conv1_stride_t=1,
        pool1_stride_t=1,
        inflate=((0, 0), (1, 1)),
        pretrained=None,
        pretrained2d=False,
        norm_eval=False))


def _tiny_pathway(**kwargs) -> dict:
    return dict(
        type='resnet3d',
        depth=18,
        num_stages=2,
        conv1_stride_t=1,
        pool1_stride_t=1,
        spatial_strides=(1, 2),
        temporal_strides=(1, 1),
        dilations=(1, 1),
        out_indices=(1, ),
        norm_eval=False,
        pretrained=None,
        **kwargs)


# A randomly initialised SlowFast (mmaction2) with 1/8-width slow (8 base channels) and
# 1/32-width fast (2) ResNet-18 pathways, first two stages: 16 + 4 output channels, stride 2.
TINY_SLOWFAST_BACKBONE = dict(
    type='mmaction.ResNet3dSlowFast',
    resample_rate=4,
    speed_ratio=4,
    channel_ratio=4,
    pretrained=None,
    slow_pathway=_tiny_pathway(
        base_channels=8,
        lateral=True,
        lateral_activate=(1, 1),
        conv1_kernel=(1, 7, 7),
        inflate=(0, 1)),
    fast_pathway=_tiny_pathway(
        base_channels=2, lateral=False, conv1_kernel=(5, 7, 7), inflate=(1, 1)))


def get_tiny_stvgformer_cfg(embed_dims: int = 32,
                            num_layers: int = 2,
                            video_backbone: dict = TINY_VIDEO_BACKBONE,
                            clip_channels: int = 16,
                            interaction: dict = dict(type='SDIB'),
                            text_encoder: dict = None,
                            config: str = STVGFORMER_CONFIG) -> dict:
    """The ``STVGFormer`` of ``config`` (:data:`STVGFORMER_CONFIG`, or a variant of it such
    as :data:`STVGFORMER_HEATMAP_CONFIG`), shrunk for unit tests.

    Args:
        embed_dims (int): ``d``.
        num_layers (int): ``N`` (encoder, decoder and STCMT layers).
        video_backbone (dict, optional): clip encoder (replaces the config's SlowFast);
            None reads ``inputs['features']`` with ``clip_channels`` channels.
        clip_channels (int): channels of the clip features.
        interaction (dict, optional): merged into the config's ``SDIB``; None: none.
        text_encoder (dict, optional): replaces the random tiny RoBERTa.
        config (str): the config (relative to ``configs/``).
    """
    text_encoder = text_encoder or dict(type='HFTextEncoder', config=TINY_ROBERTA)
    heads = embed_dims // 16
    layer = dict(num_heads=heads, feedforward_channels=2 * embed_dims)
    cfg = get_model_cfg(
        config, {
            'image_backbone.base_channels':
            8,
            'image_channels':
            32,
            'text_encoder':
            _replace(dict(text_encoder, out_channels=embed_dims)),
            'video_backbone':
            _replace(video_backbone),
            'static_branch':
            dict(
                embed_dims=embed_dims,
                num_encoder_layers=num_layers,
                num_decoder_layers=num_layers,
                **layer),
            'dynamic_branch':
            dict(
                in_channels=clip_channels,
                embed_dims=embed_dims,
                num_layers=num_layers,
                layer_cfg=layer),
            'interaction':
            None if interaction is None else dict(interaction, num_heads=heads),
            'temporal_head':
            dict(
                in_channels=embed_dims,
                map_channels=embed_dims,
                aux_hidden_dims=embed_dims,
                kernel_size=3)
        })
    spatial_head = cfg['spatial_head']  # a query head or a feature-map head
    spatial_head['in_channels'] = embed_dims
    for key, dims in (('hidden_dims', embed_dims), ('feat_channels', embed_dims // 2)):
        if key in spatial_head:
            spatial_head[key] = dims
    return cfg


def get_tiny_gkcmn_cfg(feature_channels: int = 16,
                       embed_dims: int = 8,
                       bm: bool = False,
                       vocab_size: int = 64) -> dict:
    """The ``GKCMN`` of :data:`GKCMN_CONFIG` (with ``bm=True``: BM, :data:`BM_CONFIG`),
    shrunk for unit tests and reading precomputed feature maps ``inputs['features']``
    (B, T, h, w, ``feature_channels``) instead of encoding the frames."""
    text_dims = 16
    overrides = {
        'video_encoder':
        None,
        'text_encoder':
        dict(
            vocab_size=vocab_size,
            embed_dims=text_dims,
            num_attn_layers=1,
            num_heads=2,
            hidden_dims=text_dims),
        'interaction':
        dict(visual_channels=feature_channels, text_channels=text_dims, embed_dims=embed_dims),
        'spatial_head':
        dict(in_channels=2 * embed_dims, feat_channels=embed_dims)
    }
    if bm:
        overrides['temporal_head'] = dict(in_channels=2 * embed_dims, hidden_dims=embed_dims)
        return get_model_cfg(BM_CONFIG, overrides)
    overrides.update({
        'mixed_conv.in_channels':
        2 * embed_dims,
        'spatial_head.map_size':
        8,
        'temporal_head':
        dict(
            in_channels=2 * embed_dims,
            embed_dims=embed_dims,
            num_attn_layers=1,
            num_heads=2,
            anchor_scales=(2, 4, 8))
    })
    return get_model_cfg(GKCMN_CONFIG, overrides)


def get_tiny_tubedetr_cfg(embed_dims: int = 32,
                          num_layers: int = 2,
                          stride: int = 4,
                          text_encoder: dict = None,
                          config: str = TUBEDETR_CONFIG) -> dict:
    """The ``TubeDETR`` of ``config`` (:data:`TUBEDETR_CONFIG`), shrunk for unit tests: a
    two-stage 1/8-width ResNet-18 (stride 4, 16 channels), a random tiny RoBERTa, ``d``
    channels, ``num_layers`` encoder and decoder layers, slow-branch stride ``stride``.
    """
    text_encoder = text_encoder or dict(type='HFTextEncoder', config=TINY_ROBERTA)
    layer = dict(num_heads=embed_dims // 16, feedforward_channels=2 * embed_dims)
    return get_model_cfg(
        config, {
            'image_backbone.base_channels':
            8,
            'image_backbone.num_stages':
            2,
            'image_backbone.strides': (1, 2),
            'image_backbone.dilations': (1, 1),
            'image_backbone.out_indices': (1, ),
            'image_channels':
            16,
            'text_encoder':
            _replace(dict(text_encoder, out_channels=embed_dims, proj_norm=True)),
            'encoder.stride':
            stride,
            'encoder.cross_modal_encoder':
            dict(embed_dims=embed_dims, num_encoder_layers=num_layers, **layer),
            'decoder':
            dict(embed_dims=embed_dims, num_layers=num_layers, **layer),
            'spatial_head':
            dict(in_channels=embed_dims, hidden_dims=embed_dims),
            'temporal_head':
            dict(in_channels=embed_dims, hidden_dims=embed_dims),
        })


def get_tiny_stcat_cfg(embed_dims: int = 32,
                       num_layers: int = 2,
                       text_encoder: dict = None,
                       config: str = STCAT_CONFIG) -> dict:
    """The ``STCAT`` of ``config`` (:data:`STCAT_CONFIG`), shrunk for unit tests: a two-stage
    1/8-width ResNet-18 (stride 4, 16 channels), a random tiny RoBERTa, ``d`` channels,
    ``num_layers`` encoder and decoder layers (the STCAT family's forks build on it), without
    the synthetic configs' attention training aids (the released models' decoding; the aids
    have their own tests).
    """
    text_encoder = text_encoder or dict(type='HFTextEncoder', config=TINY_ROBERTA)
    layer = dict(
        embed_dims=embed_dims,
        num_layers=num_layers,
        num_heads=embed_dims // 16,
        feedforward_channels=2 * embed_dims)
    return get_model_cfg(
        config, {
            'image_backbone.base_channels': 8,
            'image_backbone.num_stages': 2,
            'image_backbone.strides': (1, 2),
            'image_backbone.dilations': (1, 1),
            'image_backbone.out_indices': (1, ),
            'image_channels': 16,
            'text_encoder': _replace(dict(text_encoder, out_channels=embed_dims, proj_norm=True)),
            'position_encoding.num_feats': embed_dims // 2,
            'encoder': layer,
            'decoder': dict(layer, box_reference=None),
            'loss_attn': None,
            'spatial_head': dict(in_channels=embed_dims, hidden_dims=embed_dims),
            'temporal_head': dict(in_channels=embed_dims, hidden_dims=embed_dims),
        })


def demo_grounding_inputs(batch_size: int = 2,
                          num_frames: int = 8,
                          img_shape: Tuple[int, int] = (64, 64),
                          text_len: int = 6,
                          vocab_size: int = 64,
                          seed: int = 0) -> Tuple[dict, List]:
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
    in_span = torch.zeros(num_frames, dtype=torch.bool)
    in_span[2:num_frames - 2] = True
    box = torch.tensor([w * 0.2, h * 0.3, w * 0.5, h * 0.7])
    span = (4, 2 * (num_frames - 2))  # frame_inds[2], frame_inds[num_frames - 2]
    samples = [
        half_size_sample(f'q{i}', img_shape, in_span, box, span, sentence_type=None)
        for i in range(batch_size)
    ]
    return inputs, samples


def half_size_sample(qid: str, img_shape: Tuple[int, int], in_span: torch.Tensor,
                     box: torch.Tensor, span: Tuple[int, int], **metainfo) -> STVGDataSample:
    """A data sample of frames ``0, 2, 4, ...`` (N = ``len(in_span)``) of a 2N-frame, 10-fps
    video of twice the size of ``img_shape`` (``scale_factor`` 0.5), with a GT tube of one
    fixed box.

    Args:
        in_span (Tensor): (N,) bool, the sampled positions inside the GT span.
        box (Tensor): (4,) xyxy box in the resized frame.
        span (tuple): the GT span in original frames, [start, end).
        **metainfo: further metainfo (e.g. ``num_passes``, ``sentence_type``).
    """
    n = len(in_span)
    h, w = img_shape
    s = STVGDataSample(
        metainfo=dict(
            qid=qid,
            img_shape=(h, w),
            ori_shape=(2 * h, 2 * w),
            scale_factor=[0.5, 0.5],
            frame_inds=list(range(0, 2 * n, 2)),
            clip=(0, 2 * n),
            num_frames=2 * n,
            fps=10.0,
            **metainfo))
    s.gt_tube = BaseDataElement(
        span=torch.tensor(span),
        bboxes=(box * 2).expand(span[1] - span[0], 4).clone(),
        frame_bboxes=box.expand(n, 4) * in_span[:, None],
        frame_in_span=in_span.clone())
    return s
