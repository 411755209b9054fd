"""mmstvg's simple per-frame baseline grounder.

frames --backbone (mmdet ResNet from config)--> per-frame feature maps
sentence --text encoder (transformers)--> token / sentence features
--TextGuidedPooling--> per-frame target feature + soft-argmax centre
--TemporalConvNeck--> motion-aware per-frame features
--TubeBoxHead--> box per frame (L1 + GIoU);  --SpanScoreHead--> in-span score per frame (BCE)
span = best-scoring contiguous run of frames; boxes of the frames in that span form the tube.

It is deliberately simple (no transformer decoder, no proposals) and serves as the honest
reference point that the published models must beat, and as the proof that the whole data /
training / evaluation path works end to end.
"""
from typing import Dict, List, Optional

import torch
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy

from mmstvg.registry import MODELS
from .base_grounder import BaseGrounder, SampleList


@MODELS.register_module()
class BaselineGrounder(BaseGrounder):
    """Per-frame baseline (see module docstring).

    Args:
        backbone (dict): image backbone config, applied to every frame; must return a tuple
            of feature maps (the last one is used).
        text_encoder (dict): text encoder config (``HFTextEncoder``).
        neck (dict): spatial fusion config (``TextGuidedPooling``).
        temporal_neck (dict): temporal mixing config (``TemporalConvNeck``).
        bbox_head (dict): box head config (``TubeBoxHead``).
        span_head (dict): in-span head config (``SpanScoreHead``).
        loss_attn (dict, optional): supervision of the neck's spatial attention by the GT box
            on in-span frames (``SpatialAttentionLoss``); None disables it.
        frame_chunk (int, optional): run the backbone on at most this many frames at a time
            at inference (bounds memory on long videos).
        data_preprocessor (dict, optional): ``STVGDataPreprocessor`` config.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 text_encoder: dict,
                 neck: dict,
                 temporal_neck: dict,
                 bbox_head: dict,
                 span_head: dict,
                 loss_attn: Optional[dict] = None,
                 frame_chunk: Optional[int] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.text_encoder = MODELS.build(text_encoder)
        self.neck = MODELS.build(neck)
        self.temporal_neck = MODELS.build(temporal_neck)
        self.bbox_head = MODELS.build(bbox_head)
        self.span_head = MODELS.build(span_head)
        self.loss_attn = MODELS.build(loss_attn) if loss_attn else None
        self.frame_chunk = frame_chunk

    def extract_frame_feats(self, imgs: torch.Tensor) -> torch.Tensor:
        """(B * N, 3, H, W) frames -> (B * N, C, h, w) last backbone feature map."""
        if self.training or not self.frame_chunk or imgs.shape[0] <= self.frame_chunk:
            return self.backbone(imgs)[-1]
        return torch.cat([self.backbone(chunk)[-1]
                          for chunk in imgs.split(self.frame_chunk)])

    def _forward(self, inputs: Dict[str, torch.Tensor],
                 data_samples: Optional[SampleList] = None) -> Dict[str, torch.Tensor]:
        """Network forward.

        Args:
            inputs (dict): ``imgs`` (B, N, 3, H, W), ``frame_mask`` (B, N) bool,
                ``text`` = dict(input_ids (B, L), attention_mask (B, L)).

        Returns:
            dict: ``boxes`` (B, N, 4) normalised cxcywh, ``span_logits`` (B, N),
            ``attn`` (B, N, h, w).
        """
        imgs, frame_mask = inputs['imgs'], inputs['frame_mask']
        b, n = imgs.shape[:2]
        text = self.text_encoder(**inputs['text'])
        fmaps = self.extract_frame_feats(imgs.flatten(0, 1))
        spatial = self.neck(fmaps, text['sentence'], n)
        feats = self.temporal_neck(spatial['feats'], spatial['centers'], text['sentence'],
                                   frame_mask)
        return dict(
            boxes=self.bbox_head(feats, spatial['centers']),
            span_logits=self.span_head(feats),
            attn=spatial['attn'])

    def loss(self, inputs: Dict[str, torch.Tensor], data_samples: SampleList) -> dict:
        out = self._forward(inputs, data_samples)
        frame_mask = inputs['frame_mask']
        gt_boxes, in_span = self.frame_targets(data_samples, frame_mask, out['boxes'])
        losses = self.bbox_head.loss(out['boxes'], gt_boxes, in_span)
        losses.update(self.span_head.loss(out['span_logits'], in_span, frame_mask))
        if self.loss_attn is not None:
            losses['loss_attn'] = self.loss_attn(out['attn'][in_span], gt_boxes[in_span])
        return losses

    def predict(self, inputs: Dict[str, torch.Tensor],
                data_samples: SampleList) -> SampleList:
        out = self._forward(inputs, data_samples)
        boxes = bbox_cxcywh_to_xyxy(out['boxes']) * self.img_wh(data_samples, out['boxes'])
        for i, sample in enumerate(data_samples):
            meta = sample.metainfo
            frame_inds: List[int] = [int(f) for f in meta['frame_inds']]
            n = len(frame_inds)
            start, end, score = self.span_head.predict(out['span_logits'][i, :n])
            span = self.positions_to_span(start, end, frame_inds, meta['clip'])
            frame_ids, tube_boxes = self.merge_repeated_frames(
                frame_inds[start:end + 1],
                self.boxes_to_original(boxes[i, start:end + 1], meta))
            sample.pred_tube = self.make_pred_tube(span, frame_ids, tube_boxes, score)
        return data_samples
