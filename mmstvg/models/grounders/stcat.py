"""STCAT (Jin et al., "Embracing Consistency: A One-Stage Approach for Spatio-Temporal Video
Grounding", NeurIPS 2022; code: github.com/jy0205/STCAT), the base of the STCAT family
(CG-STVG, TA-STVG).

    frames (HC-STVG: 3.2 fps, VidSTG: 64 frames; short side 420) --image_backbone (ResNet-101,
        frozen BN)--image_proj (1x1 conv)--> maps + 2-D sine position encoding
    sentence --text_encoder (RoBERTa + FC + LayerNorm + dropout)--> text tokens
    multi-modal encoder (§3.2, STCATEncoder): per layer, a spatial layer on every frame's
        [frame token, visual tokens, text tokens] and a temporal layer on [video token, frame
        tokens]
    consistency-aware decoder (§3.3, STCATDecoder): query templates (anchor box per frame,
        content query per video) from the frame / video tokens; a spatial (anchor) decoder and
        a temporal decoder, N layers each, one query per frame
    heads (§3.4): box per frame relative to its anchor (AnchorBoxHead, 3-layer MLP shared with
        the decoder's anchor refinement), start/end logits and actionness per frame
        (ActionnessStartEndHead)
    losses: 5 L1 + 4 (HC-STVG) / 3 (VidSTG) GIoU on the frames of the GT span, 10 KL(start /
        end, sigma 2), 2 actionness BCE, 1 guided attention on the temporal decoder's
        self-attention; on every decoder layer (auxiliary losses) with the same weights

Inference: the span maximising ``p_start(s) p_end(e)`` with ``s < e``; the released code
returns ``[frame(s), frame(e) + 1)`` (``span_rule='sampled_frames'``). The released evaluator
(``engine/evaluate.py``) runs the even and the odd sampled frames as two passes, takes the
union of their spans and interpolates the boxes linearly between sampled frames (README of
``configs/stcat``: the ``dense`` protocol).

The released model has a 2-D temporal map head (``models/map2d_head.py``) that is never built
(it reads ``cfg.MODEL.TEMPFORMER``, which the configuration does not define; ``build_model``
makes no use of it): it is not ported, and the 2D-TAN head is not STCAT's.

Module map (released code -> mmstvg), which the converter
(``tools/model_converters/stcat2mmstvg.py --method stcat``) follows::

    vis_encoder.0.body (torchvision ResNet-101, FrozenBN) -> image_backbone (mmdet ResNet)
    vis_encoder.1 (PositionEmbeddingSine, normalised)     -> position_encoding
    input_proj                                            -> image_proj
    text_encoder.body / .resizer                          -> text_encoder (HFTextEncoder)
    ground_encoder (CrossModalEncoder)                    -> encoder (STCATEncoder)
    ground_decoder.template_generator                     -> decoder.template
    ground_decoder.decoder (anchor decoder)               -> decoder.box_layers / box_norm /
                                                             anchor_scale / anchor_pos
    ground_decoder.temp_decoder                           -> decoder.time_layers / time_norm
    bbox_embed (= ground_decoder.decoder.bbox_embed)      -> spatial_head.box_mlp
    temp_embed / action_embed                             -> temporal_head.layers / .actionness
    VideoSTGLoss (boxes, sted, guided_attn, actioness)    -> head losses + loss_guided_attn
    PostProcess                                           -> StartEndHead.decode_span,
                                                             BaseGrounder.predict_tubes
"""
from typing import Any, Dict, Optional

import torch
import torch.nn as nn

from mmstvg.registry import MODELS
from mmstvg.structures import STVGDataSample
from ..necks.stcat_decoder import scatter_frames
from .base_grounder import BaseGrounder, SampleList
from .stvgformer import STVGFormer


@MODELS.register_module()
class STCAT(BaseGrounder):
    """STCAT (module docstring).

    Args:
        image_backbone (dict): 2-D backbone (``mmdet.ResNet``); its last output is used.
        image_channels (int): channels of that map (2048 for ResNet-101 C5).
        text_encoder (dict): ``HFTextEncoder`` config projecting to ``d``.
        encoder (dict): ``STCATEncoder`` config.
        decoder (dict): ``STCATDecoder`` config.
        spatial_head (dict): ``AnchorBoxHead`` config (its ``box_mlp`` refines the decoder's
            anchors).
        temporal_head (dict): ``ActionnessStartEndHead`` config (reads ``seq``, the temporal
            decoder's queries).
        position_encoding (dict): 2-D position encoding of the visual maps
            (``mmdet.SinePositionalEncoding`` with ``num_feats = d / 2``, normalised).
        loss_guided_attn (dict, optional): loss on the temporal decoder's self-attention
            (``GuidedAttentionLoss``, weight 1); None: not used.
        loss_attn (dict, optional): supervise the spatial decoder's cross-attention over the
            frame's visual memory (renormalised) with the GT box on in-span frames
            (``SpatialAttentionLoss``; a training aid for models trained from scratch, as
            TubeDETR's and STVGFormer's option, used with the decoder's
            ``box_reference='attention'``; not in the paper). None (the released model) by
            default.
        aux_loss (bool): the heads' losses (and the attention losses) on every decoder
            layer. Defaults to True (the released ``USE_AUX_LOSS``).
        span_rule (str): see :meth:`BaseGrounder.predict_tubes`; the released code's:
            ``'sampled_frames'``.
        pass_merge (str): how the spans of a multi-pass test (``num_passes`` > 1: the
            ``dense`` protocol's even and odd frames) become one: ``'union'`` (the released
            evaluators: each pass decoded on its own, from the earlier start to the later end;
            :meth:`StartEndHead.predict_pass_spans`) or ``'mean'`` (mmstvg's multi-pass rule:
            one span from the passes' averaged logits). Every frame keeps the box of the pass
            that sampled it either way. Defaults to ``'union'``.
        frame_chunk (int, optional): run the image backbone on at most this many frames at a
            time (memory; the result is the same).
        data_preprocessor (dict, optional): ``STVGDataPreprocessor`` config.
        init_cfg (dict, optional): e.g. a converted STCAT checkpoint.
        test_cfg (dict, optional): test-time options of :class:`BaseGrounder`.

    Features handed to the heads: ``queries`` (B, T, d) the spatial decoder's last-layer
    queries and ``ref_anchors`` (B, T, 4) their anchors, ``seq`` (B, T, d) the temporal
    decoder's last-layer queries, ``frame_mask`` (B, T); for the grounder itself
    ``layer_queries`` / ``layer_anchors`` / ``layer_seq`` (L, B, T, ...) and ``self_attn``
    (L, B, T, T). A fork adds its own entries by overriding :meth:`extract_feat` or
    :meth:`encode` / :meth:`decode`.
    """

    def __init__(self,
                 image_backbone: dict,
                 image_channels: int,
                 text_encoder: dict,
                 encoder: dict,
                 decoder: dict,
                 spatial_head: dict,
                 temporal_head: dict,
                 position_encoding: Optional[dict] = None,
                 loss_guided_attn: Optional[dict] = dict(
                     type='GuidedAttentionLoss', loss_weight=1.0),
                 loss_attn: Optional[dict] = None,
                 aux_loss: bool = True,
                 span_rule: str = 'sampled_frames',
                 pass_merge: str = 'union',
                 frame_chunk: Optional[int] = None,
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
        if position_encoding is None:
            position_encoding = dict(
                type='mmdet.SinePositionalEncoding', num_feats=d // 2, normalize=True)
        self.position_encoding = MODELS.build(position_encoding)
        self.image_proj = nn.Conv2d(image_channels, d, kernel_size=1)
        self.build_heads(spatial_head, temporal_head)
        if not hasattr(self.spatial_head, 'box_mlp'):
            raise TypeError('STCAT needs a spatial head with a `box_mlp` (AnchorBoxHead): the '
                            'decoder refines its anchors with it')
        self.loss_guided_attn = MODELS.build(loss_guided_attn) if loss_guided_attn else None
        self.loss_attn = MODELS.build(loss_attn) if loss_attn else None
        box_reference = getattr(self.decoder, 'box_reference', None)
        if box_reference and getattr(self.spatial_head, 'anchor_key', None) is None:
            raise ValueError('the decoder\'s box_reference makes every box relative to an '
                             'attention anchor: the spatial head needs anchor_key='
                             '"ref_anchors"')
        self.aux_loss = aux_loss
        self.span_rule = self.check_span_rule(span_rule)
        if pass_merge not in ('union', 'mean'):
            raise ValueError(f'pass_merge must be "union" or "mean", got {pass_merge!r}')
        if pass_merge == 'union' and not hasattr(self.temporal_head, 'predict_pass_spans'):
            raise TypeError(f'pass_merge="union" needs a temporal head that decodes passes on '
                            f'their own (predict_pass_spans); '
                            f'{type(self.temporal_head).__name__} has none: use "mean"')
        self.pass_merge = pass_merge
        self.frame_chunk = frame_chunk

    # ----------------------------------------------------------------- features
    def image_maps(self, imgs: torch.Tensor) -> torch.Tensor:
        """(M, 3, H, W) frames -> (M, C, h, w) last backbone map (``frame_chunk`` at a time)."""
        if not self.frame_chunk or imgs.shape[0] <= self.frame_chunk:
            return self.image_backbone(imgs)[-1]
        return torch.cat([self.image_backbone(c)[-1] for c in imgs.split(self.frame_chunk)])

    def visual_inputs(self, inputs: Dict[str, torch.Tensor],
                      data_samples: Optional[SampleList]) -> Dict[str, torch.Tensor]:
        """Projected maps, position encoding and padding mask of the real frames.

        Returns:
            dict: ``vis`` (N, d, h, w), ``vis_pos`` (N, d, h, w), ``vis_mask`` (N, h, w) bool
            True = padded, ``frame_mask`` (B, T) bool; ``N = frame_mask.sum()``.
        """
        imgs, frame_mask = inputs['imgs'], inputs['frame_mask'].bool()
        b, t = frame_mask.shape
        vis = self.image_proj(self.image_maps(imgs[frame_mask]))
        hw = vis.shape[-2:]
        mask = STVGFormer.image_padding_mask(data_samples, imgs.shape[-2:], hw, t, vis.device)
        if mask is None:
            mask = torch.zeros(b * t, *hw, dtype=torch.bool, device=vis.device)
        mask = mask.view(b, t, *hw)[frame_mask]
        pos = self.position_encoding(mask).to(vis.dtype)
        return dict(vis=vis, vis_pos=pos, vis_mask=mask, frame_mask=frame_mask)

    def encode(self, inputs: Dict[str, torch.Tensor],
               data_samples: Optional[SampleList]) -> Dict[str, torch.Tensor]:
        """Backbones and the multi-modal encoder (:class:`STCATEncoder`'s outputs, with
        ``frame_mask`` and ``text`` (the text encoder's outputs))."""
        vis = self.visual_inputs(inputs, data_samples)
        text = self.text_encoder(**inputs['text'])
        enc = self.encoder(vis['vis'], vis['vis_pos'], vis['vis_mask'], text['tokens'],
                           text['mask'], vis['frame_mask'])
        enc.update(frame_mask=vis['frame_mask'], text=text)
        return enc

    def decode(self, enc: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """The decoder (:class:`STCATDecoder`'s outputs), its anchors refined by the spatial
        head's box MLP."""
        return self.decoder(
            enc,
            enc['frame_mask'],
            box_mlp=self.spatial_head.box_mlp,
            need_cross_weights=self.loss_attn is not None and self.training)

    def extract_feat(self,
                     inputs: Dict[str, torch.Tensor],
                     data_samples: Optional[SampleList] = None) -> Dict[str, torch.Tensor]:
        """Backbones, encoder and decoder.

        Args:
            inputs (dict): ``imgs`` (B, T, 3, H, W), ``frame_mask`` (B, T) bool and ``text``
                = dict(input_ids (B, L), attention_mask (B, L)).
            data_samples (list, optional): their ``img_shape`` gives the padding masks.

        Returns:
            dict: the features (class docstring).
        """
        enc = self.encode(inputs, data_samples)
        dec = self.decode(enc)
        feats = dict(
            queries=dec['queries'][-1],
            seq=dec['time_queries'][-1],
            frame_mask=enc['frame_mask'],
            layer_queries=dec['queries'],
            layer_seq=dec['time_queries'],
            self_attn=dec['time_self_attn'])
        feats.update(self.attention_feats(enc, dec))
        return feats

    @staticmethod
    def attention_feats(enc: Dict[str, torch.Tensor],
                        dec: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """``ref_anchors`` (B, T, 4) / ``layer_anchors`` (L, B, T, 4), the anchor every
        layer's box is relative to, when the decoder returns them (STCAT's always, the forks'
        with ``box_reference``); ``attn_maps`` (L, B, T, h, w), every frame's spatial query's
        cross-attention over its visual map (zeros on padded frames), when the decoder
        returned the weights (``loss_attn`` in training, ``box_reference``)."""
        feats = {}
        if 'cross_attn' in dec:
            h, w = enc['feat_hw']
            maps = dec['cross_attn'][..., :h * w].unflatten(-1, (h, w))
            feats['attn_maps'] = torch.stack(
                [scatter_frames(m, enc['frame_mask'].bool()) for m in maps])
        if 'anchors' in dec:
            feats.update(ref_anchors=dec['anchors'][-1], layer_anchors=dec['anchors'])
        return feats

    # --------------------------------------------------------------------- loss
    def extra_losses(self, feats: Dict[str, torch.Tensor],
                     targets: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """The attention losses (:meth:`BaseGrounder.attention_losses`) on the last layer and,
        with ``aux_loss``, the heads' and these losses on every earlier decoder layer (keys
        ``d{i}.*``; each layer's boxes relative to its anchors where there are anchors)."""
        num = feats['layer_queries'].shape[0]
        losses = self.attention_losses(feats, targets, num - 1)
        for i in range(num - 1) if self.aux_loss else ():
            layer_feats = dict(feats, queries=feats['layer_queries'][i], seq=feats['layer_seq'][i])
            if 'layer_anchors' in feats:
                layer_feats['ref_anchors'] = feats['layer_anchors'][i]
            layer_losses = dict(self.spatial_head.loss(layer_feats, targets))
            layer_losses.update(self.temporal_head.loss(layer_feats, targets))
            layer_losses.update(self.attention_losses(feats, targets, i))
            losses.update({f'd{i}.{key}': value for key, value in layer_losses.items()})
        return losses

    # -------------------------------------------------------------- prediction
    def mask_pass_padding(self, batch: Dict[str, Any], sample: STVGDataSample,
                          num_passes: int) -> Dict[str, Any]:
        """With ``pass_merge='union'``, the copies of the last frame that
        :class:`SampleSTCATFrames` appended so that the passes have equal lengths
        (metainfo ``pass_pad_frames``) become padded frames of the last passes: the released
        code runs the odd frames of an odd count as a pass one frame shorter, and a padded
        frame gives that (masked in the encoder and the decoders; the pass's span ends at its
        last real frame; no box)."""
        pad = int(sample.metainfo.get('pass_pad_frames', 0) or 0)
        if pad == 0 or self.pass_merge != 'union':
            return batch
        frame_mask = batch['frame_mask'].clone()  # (P, T): position t * P + p at [p, t]
        total = frame_mask.numel()
        for pos in range(total - pad, total):
            frame_mask[pos % num_passes, pos // num_passes] = False
        return dict(batch, frame_mask=frame_mask)

    def decode_tubes(self,
                     outs: Dict[str, Any],
                     frame_mask: torch.Tensor,
                     data_samples: SampleList,
                     num_passes: int = 1) -> SampleList:
        """:meth:`BaseGrounder.decode_tubes`, with the released evaluators' union of the
        passes' spans when ``pass_merge='union'`` and the test has several passes."""
        if num_passes == 1 or self.pass_merge == 'mean':
            return super().decode_tubes(outs, frame_mask, data_samples, num_passes)
        boxes, _ = self.spatial_head.predict_by_feat(outs['spatial'])
        spans = self.temporal_head.predict_pass_spans(outs['temporal'], frame_mask, num_passes)
        return self.predict_tubes(
            data_samples, boxes, spans, num_passes, span_rule=self.span_rule, span_positions=True)
