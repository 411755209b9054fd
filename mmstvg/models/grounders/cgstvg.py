"""CG-STVG (Gu et al., "Context-Guided Spatio-Temporal Video Grounding", CVPR 2024; code:
github.com/HengLan/CGSTVG), STCAT (:class:`STCAT`) with a VidSwin-T motion branch and
instance context guidance in the spatial decoder.

    frames (HC-STVG: 3.2 fps, VidSTG: 64 frames in training; height 420, width <= 588)
        --image_backbone (ResNet-101) / image_proj--> appearance maps
        --motion_encoder (VidSwin-T through mmaction2, frozen) / motion_proj--> motion maps
    sentence --text_encoder (RoBERTa)--> text tokens
    encoder (CGSTVGEncoder): spatial layers on [appearance, text, motion] tokens of each frame
    decoder (CGSTVGDecoder): temporal decoder; spatial decoder whose layers are guided by the
        instance context of the frames the previous layer boxed reliably
        (InstanceContextGuidance)
    heads: box per frame ``sigmoid(MLP(q))`` (AnchorBoxHead without anchors), start/end and
        actionness (ActionnessStartEndHead)
    losses: STCAT's (L1 5, GIoU 4 / 3 (VidSTG), KL start/end 10 / 1 (VidSTG), actionness 2;
        no guided attention) plus ``loss_conf`` (weight 1): BCE-with-logits of every layer's
        confidence (a sum of two sigmoids used as a logit) against the IoU of its box with the
        GT, on the GT frames; all on every decoder layer (``d{i}.*``)

Module map (released code -> mmstvg; the converter ``stcat2mmstvg.py --method cgstvg``)::

    vis_encoder / input_proj / text_encoder        -> as STCAT
    vid (VideoSwinTransformerBackbone)             -> motion_encoder.backbone (mmaction2)
    input_proj2                                    -> motion_proj
    ground_encoder (spatial layers + norm)         -> encoder (CGSTVGEncoder)
    ground_decoder.pos_fc / time_fc                -> decoder.pos_template / content_template
    ground_decoder.decoder.layers.{i}              -> decoder.box_layers.{i} (ca2 ->
                                                      context_attn)
    ground_decoder.decoder.conf/conf2/gf_mlp/gf_mlp2 -> decoder.guidance
    ground_decoder.time_decoder                    -> decoder.time_layers / time_norm
    bbox_embed / temp_embed / action_embed         -> spatial_head.box_mlp / temporal_head

Inference is STCAT's (``sampled_frames`` span rule, the ``dense`` two-pass protocol).
"""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy, bbox_overlaps, bbox_xyxy_to_cxcywh

from mmstvg.registry import MODELS
from .base_grounder import SampleList
from .stcat import STCAT


@MODELS.register_module()
class CGSTVG(STCAT):
    """CG-STVG (module docstring).

    Args:
        motion_encoder (dict): :class:`VidSwinMotionEncoder` config.
        motion_channels (int): its output channels (768).
        loss_conf_weight (float): weight of ``loss_conf`` (``CONF_COEF``: 1); 0 disables it.
        kwargs: :class:`STCAT`'s arguments (``loss_guided_attn=None`` for CG-STVG).
    """

    def __init__(self,
                 motion_encoder: dict,
                 motion_channels: int = 768,
                 loss_conf_weight: float = 1.0,
                 **kwargs) -> None:
        kwargs.setdefault('loss_guided_attn', None)
        super().__init__(**kwargs)
        self.motion_encoder = MODELS.build(motion_encoder)
        self.motion_proj = nn.Conv2d(motion_channels, self.encoder.embed_dims, kernel_size=1)
        self.loss_conf_weight = loss_conf_weight

    def encode(self, inputs: Dict[str, torch.Tensor],
               data_samples: Optional[SampleList]) -> Dict[str, torch.Tensor]:
        """Appearance, motion and text through the encoder."""
        vis = self.visual_inputs(inputs, data_samples)
        frame_mask = vis['frame_mask']
        # every video's real frames one clip (VidSwinMotionEncoder.forward_videos)
        motion = self.motion_proj(self.motion_encoder.forward_videos(inputs['imgs'], frame_mask))
        text = self.text_encoder(**inputs['text'])
        enc = self.encoder(vis['vis'], vis['vis_pos'], vis['vis_mask'], text['tokens'],
                           text['mask'], frame_mask, motion)
        enc.update(frame_mask=frame_mask, text=text)
        return enc

    def guidance_gt(self, data_samples: Optional[SampleList],
                    frame_mask: torch.Tensor) -> Optional[List[Tuple[torch.Tensor, torch.Tensor]]]:
        """Per video (gt_boxes (G, 4) normalised cxcywh, gt_frames (G,) indices among its real
        frames), in training."""
        if not self.training or data_samples is None:
            return None
        targets = self.get_targets(data_samples, frame_mask)
        frame_mask = frame_mask.bool()
        out = []
        for i in range(frame_mask.shape[0]):
            span = targets['in_span'][i].bool() & frame_mask[i]
            index = frame_mask[i].cumsum(0) - 1  # column -> index among the real frames
            out.append((bbox_xyxy_to_cxcywh(targets['gt_boxes'][i, span]), index[span]))
        return out

    def decode(self,
               enc: Dict[str, torch.Tensor],
               data_samples: Optional[SampleList] = None) -> Dict[str, torch.Tensor]:
        head = self.temporal_head
        return self.decoder(
            enc,
            enc['frame_mask'],
            box_mlp=self.spatial_head.box_mlp,
            actioness_fn=lambda x: head._mlp(head.actionness, x),
            gt=self.guidance_gt(data_samples, enc['frame_mask']),
            need_cross_weights=self.loss_attn is not None and self.training)

    def extract_feat(self,
                     inputs: Dict[str, torch.Tensor],
                     data_samples: Optional[SampleList] = None) -> Dict[str, torch.Tensor]:
        """Backbones, encoder, decoder; features as :class:`STCAT`'s without anchors, plus
        ``conf`` / ``layer_conf`` (B, T) / (L, B, T) and ``layer_boxes`` (L, B, T, 4)."""
        enc = self.encode(inputs, data_samples)
        dec = self.decode(enc, data_samples)
        feats = dict(
            queries=dec['queries'][-1],
            seq=dec['time_queries'][-1],
            frame_mask=enc['frame_mask'],
            layer_queries=dec['queries'],
            layer_seq=dec['time_queries'],
            layer_boxes=dec['boxes'],
            self_attn=dec['time_self_attn'])
        feats.update(self.attention_feats(enc, dec))
        if 'conf' in dec:
            feats.update(conf=dec['conf'][-1], layer_conf=dec['conf'])
        return feats

    def loss_conf(self, boxes: torch.Tensor, conf: torch.Tensor,
                  targets: Dict[str, torch.Tensor]) -> torch.Tensor:
        """BCE-with-logits of the confidences against the IoU of the boxes with the GT (on
        the GT frames; the IoU is not detached, as in the fork)."""
        in_span = targets['in_span']
        iou = bbox_overlaps(
            bbox_cxcywh_to_xyxy(boxes[in_span]), targets['gt_boxes'][in_span], is_aligned=True)
        return self.loss_conf_weight * F.binary_cross_entropy_with_logits(conf[in_span], iou)

    def extra_losses(self, feats: Dict[str, torch.Tensor],
                     targets: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """:class:`STCAT`'s (the attention losses when configured, and with ``aux_loss`` the
        heads' losses of every earlier layer, ``d{i}.*``) and ``loss_conf`` of the last layer
        and, with ``aux_loss``, of every earlier one."""
        losses = super().extra_losses(feats, targets)
        if self.loss_conf_weight and 'layer_conf' in feats:
            num = feats['layer_queries'].shape[0]
            losses['loss_conf'] = self.loss_conf(feats['layer_boxes'][-1], feats['conf'], targets)
            for i in range(num - 1) if self.aux_loss else ():
                losses[f'd{i}.loss_conf'] = self.loss_conf(feats['layer_boxes'][i],
                                                           feats['layer_conf'][i], targets)
        return losses
