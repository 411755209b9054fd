"""Prediction head of STVGFormer's static branch, §1.4 ("Prediction Head for Static Branch"),
trained with the static part of Eq. 4 and the temporal attentive loss ``L^s_aux`` of Eq. 6.

From the per-frame object query ``O^N_t`` a 3-layer MLP regresses the box ``b_t`` (normalised
cxcywh, sigmoid, as in MDETR) and an FC layer predicts the in-span score ``p^s_t``. The
attribute names ``box_mlp.layers.{0,1,2}`` match MDETR's ``bbox_embed.layers.{0,1,2}`` so that
its checkpoints map one-to-one.
"""
from typing import Dict, Optional

import torch
import torch.nn as nn
from mmdet.models.layers import MLP
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy, bbox_xyxy_to_cxcywh
from mmengine.model import BaseModule

from mmstvg.registry import MODELS


@MODELS.register_module()
class QueryBoxHead(BaseModule):
    """Box and in-span score per frame from the static branch's object queries.

    ``input_kind = 'query'``: a grounder feeds it one query vector per frame.

    Args:
        in_channels (int): object-query channels ``d``.
        hidden_dims (int): MLP width.
        num_layers (int): MLP depth (3 in the paper).
        loss_bbox (dict): L1 loss config on normalised cxcywh (``lambda_1``).
        loss_giou (dict): GIoU loss config on normalised xyxy (``lambda_2``).
        loss_aux (dict): temporal attentive loss config on the in-span logits (``lambda_3``).
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_dims: int = 256,
                 num_layers: int = 3,
                 loss_bbox: dict = dict(type='mmdet.L1Loss', loss_weight=5.0),
                 loss_giou: dict = dict(type='mmdet.GIoULoss', loss_weight=2.0),
                 loss_aux: dict = dict(type='TemporalAttentiveLoss', loss_weight=0.5),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.box_mlp = MLP(in_channels, hidden_dims, 4, num_layers)
        self.span_fc = nn.Linear(in_channels, 1)
        self.loss_bbox = MODELS.build(loss_bbox)
        self.loss_giou = MODELS.build(loss_giou)
        self.loss_aux = MODELS.build(loss_aux)

    input_kind = 'query'

    def forward(self, query: torch.Tensor,
                ref_centers: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
        """Predict boxes and in-span logits.

        Args:
            query (Tensor): (B, T, C) object query of every frame (any leading dims work).
            ref_centers (Tensor, optional): (B, T, 2) normalised reference centres; when
                given, the MLP's centre output is an offset to them in logit space (as
                Conditional/Deformable DETR's reference points). The paper's head has none.

        Returns:
            dict: ``boxes`` (B, T, 4) normalised cxcywh in (0, 1) and ``span_logits`` (B, T).
        """
        out = self.box_mlp(query)
        if ref_centers is not None:
            ref = torch.logit(ref_centers.to(out.dtype).clamp(1e-4, 1 - 1e-4))
            out = torch.cat([out[..., :2] + ref, out[..., 2:]], dim=-1)
        return dict(boxes=out.sigmoid(), span_logits=self.span_fc(query).squeeze(-1))

    def loss(self, boxes: torch.Tensor, span_logits: torch.Tensor, gt_boxes: torch.Tensor,
             in_span: torch.Tensor, frame_mask: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Static-branch losses ``L_s`` (Eq. 4).

        Args:
            boxes (Tensor): (B, T, 4) predicted normalised cxcywh.
            span_logits (Tensor): (B, T) in-span logits.
            gt_boxes (Tensor): (B, T, 4) GT normalised xyxy (only read on in-span frames).
            in_span (Tensor): (B, T) bool, frame inside the GT span.
            frame_mask (Tensor): (B, T) bool, real (non-padded) frames.

        Returns:
            dict: ``loss_bbox``, ``loss_giou`` (averaged over the in-span real frames) and
            ``loss_static_aux``.
        """
        frame_mask = frame_mask.bool()
        valid = in_span.bool() & frame_mask
        pred = boxes[valid]
        gt = gt_boxes[valid].to(pred.dtype)
        num = max(int(valid.sum()), 1)
        if pred.numel() == 0:  # keep the graph connected when no frame is annotated
            zero = boxes.sum() * 0
            losses = dict(loss_bbox=zero, loss_giou=zero)
        else:
            losses = dict(
                loss_bbox=self.loss_bbox(pred, bbox_xyxy_to_cxcywh(gt), avg_factor=num),
                loss_giou=self.loss_giou(bbox_cxcywh_to_xyxy(pred), gt, avg_factor=num))
        losses['loss_static_aux'] = self.loss_aux(span_logits, valid, frame_mask)
        return losses
