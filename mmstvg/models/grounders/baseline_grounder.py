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
        self.build_heads(spatial_head, temporal_head)
        self.loss_attn = MODELS.build(loss_attn) if loss_attn else None
        self.frame_chunk = frame_chunk

    def extract_frame_feats(self, imgs: torch.Tensor) -> torch.Tensor:
        """(B * N, 3, H, W) frames -> (B * N, C, h, w) last backbone feature map."""
        if self.training or not self.frame_chunk or imgs.shape[0] <= self.frame_chunk:
            return self.backbone(imgs)[-1]
        return torch.cat([self.backbone(chunk)[-1] for chunk in imgs.split(self.frame_chunk)])

    def extract_feat(self,
                     inputs: Dict[str, torch.Tensor],
                     data_samples: Optional[SampleList] = None) -> Dict[str, torch.Tensor]:
        """Per-frame target features, the features of both heads.

        Args:
            inputs (dict): ``imgs`` (B, N, 3, H, W), ``frame_mask`` (B, N) bool,
                ``text`` = dict(input_ids (B, L), attention_mask (B, L)).

        Returns:
            dict: ``queries`` = ``seq`` = the per-frame target features (B, N, C),
            ``ref_centers`` (the neck's soft-argmax, (B, N, 2)), ``frame_mask`` and ``attn``
            (the neck's spatial attention, (B, N, h, w), for ``loss_attn``).
        """
        imgs, frame_mask = inputs['imgs'], inputs['frame_mask']
        n = imgs.shape[1]
        text = self.text_encoder(**inputs['text'])
        fmaps = self.extract_frame_feats(imgs.flatten(0, 1))
        spatial = self.neck(fmaps, text['sentence'], n)
        frame_feats = self.temporal_neck(spatial['feats'], spatial['centers'], text['sentence'],
                                         frame_mask)
        # the per-frame target features serve as the frames' queries and as the sequence
        return dict(
            queries=frame_feats,
            seq=frame_feats,
            ref_centers=spatial['centers'],
            frame_mask=frame_mask,
            attn=spatial['attn'])

    def extra_losses(self, feats: Dict[str, torch.Tensor],
                     targets: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """``loss_attn``: the neck's attention supervised by the GT box on in-span frames."""
        if self.loss_attn is None:
            return {}
        in_span, gt_boxes = targets['in_span'], targets['gt_boxes']
        return dict(loss_attn=self.loss_attn(feats['attn'][in_span], gt_boxes[in_span]))
