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
from typing import Dict, Optional

import torch

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
        spatial_head (dict): box head config (``TubeBoxHead``; any spatial head that reads
            ``queries`` or ``seq``).
        temporal_head (dict): in-span head config (``SpanScoreHead``; any temporal head that
            reads ``seq``). Both heads get ``queries`` = ``seq`` = the per-frame target
            features (B, N, C), ``ref_centers`` (the neck's soft-argmax) and ``frame_mask``;
            there are no fused feature maps.
        loss_attn (dict, optional): supervision of the neck's spatial attention by the GT box
            on in-span frames (``SpatialAttentionLoss``); None disables it.
        frame_chunk (int, optional): run the backbone on at most this many frames at a time
            at inference (bounds memory on long videos).
        data_preprocessor (dict, optional): ``STVGDataPreprocessor`` config.
        init_cfg (dict, optional): initialisation config.
        test_cfg (dict, optional): test-time options of :class:`BaseGrounder`
            (``use_gt_span``).
    """

    def __init__(self,
                 backbone: dict,
                 text_encoder: dict,
                 neck: dict,
                 temporal_neck: dict,
                 spatial_head: dict,
                 temporal_head: dict,
                 loss_attn: Optional[dict] = None,
                 frame_chunk: Optional[int] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg, test_cfg=test_cfg)
        self.backbone = MODELS.build(backbone)
        self.text_encoder = MODELS.build(text_encoder)
        self.neck = MODELS.build(neck)
        self.temporal_neck = MODELS.build(temporal_neck)
        self.spatial_head = MODELS.build(spatial_head)
        self.temporal_head = MODELS.build(temporal_head)
        self.loss_attn = MODELS.build(loss_attn) if loss_attn else None
        self.frame_chunk = frame_chunk

    def extract_frame_feats(self, imgs: torch.Tensor) -> torch.Tensor:
        """(B * N, 3, H, W) frames -> (B * N, C, h, w) last backbone feature map."""
        if self.training or not self.frame_chunk or imgs.shape[0] <= self.frame_chunk:
            return self.backbone(imgs)[-1]
        return torch.cat([self.backbone(chunk)[-1] for chunk in imgs.split(self.frame_chunk)])

    def _forward(self,
                 inputs: Dict[str, torch.Tensor],
                 data_samples: Optional[SampleList] = None) -> Dict[str, torch.Tensor]:
        """Network forward.

        Args:
            inputs (dict): ``imgs`` (B, N, 3, H, W), ``frame_mask`` (B, N) bool,
                ``text`` = dict(input_ids (B, L), attention_mask (B, L)).

        Returns:
            dict: ``spatial`` (the box head's outputs: ``boxes`` (B, N, 4) normalised
            cxcywh), ``temporal`` (the span head's: ``span_logits`` (B, N)) and ``attn``
            (B, N, h, w).
        """
        imgs, frame_mask = inputs['imgs'], inputs['frame_mask']
        b, n = imgs.shape[:2]
        text = self.text_encoder(**inputs['text'])
        fmaps = self.extract_frame_feats(imgs.flatten(0, 1))
        spatial = self.neck(fmaps, text['sentence'], n)
        frame_feats = self.temporal_neck(spatial['feats'], spatial['centers'], text['sentence'],
                                         frame_mask)
        # the per-frame target features serve as the frames' queries and as the sequence
        feats = dict(
            queries=frame_feats,
            seq=frame_feats,
            ref_centers=spatial['centers'],
            frame_mask=frame_mask)
        return dict(
            spatial=self.spatial_head(feats),
            temporal=self.temporal_head(feats),
            attn=spatial['attn'])

    def loss(self, inputs: Dict[str, torch.Tensor], data_samples: SampleList) -> dict:
        out = self._forward(inputs, data_samples)
        targets = self.get_targets(data_samples, inputs['frame_mask'])
        losses = self.spatial_head.loss_by_feat(out['spatial'], targets)
        losses.update(self.temporal_head.loss_by_feat(out['temporal'], targets))
        if self.loss_attn is not None:
            in_span, gt_boxes = targets['in_span'], targets['gt_boxes']
            losses['loss_attn'] = self.loss_attn(out['attn'][in_span], gt_boxes[in_span])
        return losses

    def predict(self, inputs: Dict[str, torch.Tensor], data_samples: SampleList) -> SampleList:
        out = self._forward(inputs, data_samples)
        boxes, _ = self.spatial_head.predict_by_feat(out['spatial'])
        spans = self.temporal_head.predict_by_feat(out['temporal'], inputs['frame_mask'])
        return self.predict_tubes(data_samples, boxes, spans)
