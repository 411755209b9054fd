"""TubeDETR (Yang et al., "TubeDETR: Spatio-Temporal Video Grounding with Transformers",
CVPR 2022; code: github.com/antoyang/TubeDETR).

    frames (T at 5 fps) --image_backbone (mmdet ResNet-101)--image_proj (1x1 conv)--> maps
    sentence --text_encoder (RoBERTa + FC + LayerNorm + dropout)--> text tokens
    video-text encoder (§3.1, SpaceTimeEncoder): slow branch = MDETR's cross-modal encoder on
        every k-th frame with the text, replicated over its k frames; fast branch = a linear
        layer on every frame's maps (backbone without gradient); residual aggregation
    space-time decoder (§3.2, SpaceTimeDecoder): one query per frame (query embedding + time
        encoding), N layers of temporal self-attention, time-aligned cross-attention, FFN
    heads (§3.3): box per frame (3-layer MLP, sigmoid cxcywh: QueryBoxHead without in-span
        score), start/end logits per frame (2-layer MLP: StartEndHead)
    losses (§3.3): 5 L1 + 2 GIoU on the frames of the GT span, 10 KL(start/end),
        1 guided attention on the decoder's temporal self-attention; on every decoder layer
        (auxiliary losses), with the same weights

Inference: the span maximising ``p_start(s) p_end(e)`` with ``s < e`` (StartEndHead), boxes of
the frames ``s .. e``; the span in original frames runs from the first to the last sampled
frame of the run (``span_rule='sampled_frames'``, TubeDETR's post-processing).

Module map (released code -> mmstvg), which the converter
(``tools/model_converters/tubedetr2mmstvg.py``) follows::

    backbone.0.body (torchvision ResNet-101, FrozenBN)  -> image_backbone (mmdet ResNet)
    input_proj                                          -> image_proj
    transformer.text_encoder / .resizer                 -> text_encoder (HFTextEncoder)
    transformer.encoder (+ pos. encoding, backbone.1)   -> encoder.cross_modal_encoder
    transformer.fast_encoder / .fast_residual           -> encoder.fast_encoder / .fast_residual
    transformer.decoder, query_embed, time_embed        -> decoder (SpaceTimeDecoder)
    bbox_embed                                          -> spatial_head.box_mlp (QueryBoxHead)
    sted_embed                                          -> temporal_head.layers (StartEndHead)
    SetCriterion (boxes, sted, guided_attn)             -> head losses + loss_guided_attn
    PostProcessSTVG / PostProcess                       -> StartEndHead.predict_by_feat,
                                                           BaseGrounder.predict_tubes
"""
from typing import Dict, Optional

import torch
import torch.nn as nn

from mmstvg.registry import MODELS
from .base_grounder import BaseGrounder, SampleList
from .stvgformer import STVGFormer


@MODELS.register_module()
class TubeDETR(BaseGrounder):
    """TubeDETR (module docstring).

    Args:
        image_backbone (dict): 2-D backbone (``mmdet.ResNet``); the last output is used.
        image_channels (int): channels of that map (2048 for ResNet-101 C5).
        text_encoder (dict): ``HFTextEncoder`` config projecting to ``d``.
        encoder (dict): ``SpaceTimeEncoder`` config.
        decoder (dict): ``SpaceTimeDecoder`` config.
        spatial_head (dict): box head reading the features below (``QueryBoxHead`` with
            ``loss_aux=None``: TubeDETR's).
        temporal_head (dict): temporal head (``StartEndHead``: TubeDETR's).
        loss_guided_attn (dict, optional): loss on every supervised decoder layer's temporal
            self-attention (``GuidedAttentionLoss``, weight 1); None: not used.
        aux_loss (bool): apply the heads' losses (and the guided attention loss) to every
            decoder layer, as TubeDETR (``--no_aux_loss`` disables it). Defaults to True.
        span_rule (str): see :meth:`BaseGrounder.predict_tubes`; TubeDETR's:
            ``'sampled_frames'``.
        frame_chunk (int, optional): run the image backbone on at most this many frames at a
            time (memory; the result is the same).
        need_cross_weights (bool): also return the decoder's cross-attention weights from
            ``mode='tensor'`` (visualisation; forces the materialised attention kernel).
        box_reference (str, optional): ``'attention'``: the spatial head predicts each box
            centre as an offset to the centroid of the frame's decoder cross-attention over
            its visual memory (as STVGFormer's option; a training aid for models trained from
            scratch, not in the paper). None (TubeDETR's head) by default.
        loss_attn (dict, optional): supervise every supervised decoder layer's
            cross-attention over the frame's visual memory (renormalised) with the GT box on
            in-span frames (``SpatialAttentionLoss``, as STVGFormer's and the per-frame
            baseline's option; not in the paper). None by default.
        data_preprocessor (dict, optional): ``STVGDataPreprocessor`` config.
        init_cfg (dict, optional): e.g. a converted TubeDETR checkpoint.
        test_cfg (dict, optional): test-time options of :class:`BaseGrounder`.

    The features handed to both heads: ``queries`` (B, T, d) the last decoder layer's frame
    queries (after the final norm), ``seq`` (the same), ``maps`` (B, d, T, h, w) the visual
    part of every frame's video-text memory, ``frame_mask`` (B, T); and for the grounder
    itself ``layer_queries`` (N, B, T, d) and ``self_attn`` (N, B, T, T).
    """

    def __init__(self,
                 image_backbone: dict,
                 image_channels: int,
                 text_encoder: dict,
                 encoder: dict,
                 decoder: dict,
                 spatial_head: dict,
                 temporal_head: dict,
                 loss_guided_attn: Optional[dict] = dict(
                     type='GuidedAttentionLoss', loss_weight=1.0),
                 aux_loss: bool = True,
                 span_rule: str = 'sampled_frames',
                 frame_chunk: Optional[int] = None,
                 need_cross_weights: bool = False,
                 box_reference: Optional[str] = None,
                 loss_attn: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg, test_cfg=test_cfg)
        self.image_backbone = MODELS.build(image_backbone)
        self.text_encoder = MODELS.build(text_encoder)
        self.encoder = MODELS.build(encoder)
        self.decoder = MODELS.build(decoder)
        d = self.encoder.embed_dims
        if self.decoder.embed_dims != d or self.text_encoder.out_channels != d:
            raise ValueError('encoder, decoder and text encoder must share the width d: '
                             f'{d}, {self.decoder.embed_dims}, {self.text_encoder.out_channels}')
        self.image_proj = nn.Conv2d(image_channels, d, kernel_size=1)
        self.build_heads(spatial_head, temporal_head)
        self.loss_guided_attn = MODELS.build(loss_guided_attn) if loss_guided_attn else None
        self.aux_loss = aux_loss
        self.span_rule = self.check_span_rule(span_rule)
        self.frame_chunk = frame_chunk
        self.need_cross_weights = need_cross_weights
        if box_reference not in (None, 'attention'):
            raise ValueError(f'box_reference must be None or "attention", got {box_reference!r}')
        if box_reference and self.spatial_head.in_key != 'queries':
            raise ValueError('box_reference offsets the box of a head on the frame queries '
                             f'(in_key="queries"), not one on {self.spatial_head.in_key!r}')
        self.box_reference = box_reference
        self.loss_attn = MODELS.build(loss_attn) if loss_attn else None

    # ----------------------------------------------------------------- features
    def image_maps(self, imgs: torch.Tensor) -> torch.Tensor:
        """(M, 3, H, W) frames -> (M, C, h, w) last backbone map (``frame_chunk`` at a time)."""
        if not self.frame_chunk or imgs.shape[0] <= self.frame_chunk:
            return self.image_backbone(imgs)[-1]
        return torch.cat([self.image_backbone(c)[-1] for c in imgs.split(self.frame_chunk)])

    def extract_feat(self,
                     inputs: Dict[str, torch.Tensor],
                     data_samples: Optional[SampleList] = None) -> Dict[str, torch.Tensor]:
        """Backbones, video-text encoder and space-time decoder.

        Args:
            inputs (dict): ``imgs`` (B, T, 3, H, W), ``frame_mask`` (B, T) bool and ``text``
                = dict(input_ids (B, L), attention_mask (B, L)).
            data_samples (list, optional): their ``img_shape`` gives the padding masks.

        Returns:
            dict: the features (class docstring).
        """
        imgs, frame_mask = inputs['imgs'], inputs['frame_mask'].bool()
        b, t = frame_mask.shape
        k = self.encoder.stride
        text = self.text_encoder(**inputs['text'])
        slow_imgs = imgs[:, ::k]
        n = slow_imgs.shape[1]
        fast = None
        if self.encoder.with_fast:
            # the fast branch does not back-propagate into the backbone (released code)
            with torch.no_grad():
                fast_maps = self.image_maps(imgs.flatten(0, 1))
            if self.training and torch.is_grad_enabled():
                slow_maps = self.image_maps(slow_imgs.flatten(0, 1))
            else:  # the slow frames are frames of the fast branch: reuse their maps
                slow_maps = fast_maps.unflatten(0, (b, t))[:, ::k].flatten(0, 1)
            fast = self.image_proj(fast_maps)
        else:
            slow_maps = self.image_maps(slow_imgs.flatten(0, 1))
        slow = self.image_proj(slow_maps)
        h, w = slow.shape[-2:]
        pad_hw = imgs.shape[-2:]
        slow_mask = STVGFormer.image_padding_mask(data_samples, pad_hw, (h, w), n, slow.device)
        fast_mask = STVGFormer.image_padding_mask(data_samples, pad_hw, (h, w), t, slow.device)
        enc = self.encoder(slow, slow_mask, text['tokens'], text['mask'], t, fast, fast_mask)
        with_maps = self.box_reference is not None or (self.loss_attn is not None
                                                       and self.training)
        dec = self.decoder(
            enc['memory'],
            enc['memory_pos'],
            enc['memory_mask'],
            frame_mask,
            need_cross_weights=self.need_cross_weights or with_maps)
        queries = dec['queries']
        maps = enc['memory'][:, :h * w].view(b, t, h, w, -1).permute(0, 4, 1, 2, 3)
        feats = dict(
            queries=queries[-1],
            seq=queries[-1],
            maps=maps,
            frame_mask=frame_mask,
            layer_queries=queries,
            self_attn=dec['self_attn'],
            cross_attn=dec['cross_attn'])
        if with_maps:  # (N, B, T, h, w): each frame query's attention over its visual memory
            attn = dec['cross_attn'][..., :h * w].reshape(-1, b, t, h, w)
            feats['attn_maps'] = attn
            if self.box_reference:
                refs = [
                    STVGFormer.attention_centroid(a.flatten(0, 1), fast_mask).view(b, t, 2)
                    for a in attn
                ]
                feats['layer_ref_centers'] = torch.stack(refs)
                feats['ref_centers'] = refs[-1]
        return feats

    # --------------------------------------------------------------------- loss
    def extra_losses(self, feats: Dict[str, torch.Tensor],
                     targets: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """§3.3 besides the heads' losses on the last decoder layer (which
        :meth:`BaseGrounder.loss` computes): the guided attention loss (and the optional
        attention supervision) on the last layer and, with ``aux_loss``, the heads' and these
        losses on every earlier layer (keys ``d{i}.*``)."""
        num = feats['layer_queries'].shape[0]
        losses = self.attention_losses(feats, targets, num - 1)
        for i in range(num - 1) if self.aux_loss else ():
            layer_feats = dict(feats, queries=feats['layer_queries'][i])
            layer_feats['seq'] = layer_feats['queries']
            if self.box_reference:
                layer_feats['ref_centers'] = feats['layer_ref_centers'][i]
            layer_losses = dict(self.spatial_head.loss(layer_feats, targets))
            layer_losses.update(self.temporal_head.loss(layer_feats, targets))
            layer_losses.update(self.attention_losses(feats, targets, i))
            losses.update({f'd{i}.{key}': value for key, value in layer_losses.items()})
        return losses
