"""Prediction head of STVGFormer's static branch, §1.4 ("Prediction Head for Static Branch"),
trained with the static part of Eq. 4 and the temporal attentive loss ``L^s_aux`` of Eq. 6.

From the per-frame object query ``O^N_t`` a 3-layer MLP regresses the box ``b_t`` (normalised
cxcywh, sigmoid, as in MDETR) and an FC layer predicts the in-span score ``p^s_t``. The
attribute names ``box_mlp.layers.{0,1,2}`` match MDETR's ``bbox_embed.layers.{0,1,2}`` so that
its checkpoints map one-to-one. With ``loss_aux=None`` the head is the box MLP alone (no
in-span score): MDETR's and TubeDETR's box head (TubeDETR §3.3 predicts the temporal span with
its own start/end head).
"""
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
from mmdet.models.layers import MLP
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy

from mmstvg.registry import MODELS
from .base_spatial_head import BaseSpatialHead, add_ref_centers, cxcywh_box_losses


@MODELS.register_module()
class QueryBoxHead(BaseSpatialHead):
    """Box and in-span score per frame from the static branch's object queries.

    Reads one query vector per frame, ``feats['queries']`` (B, T, C), and the optional
    reference centres ``feats['ref_centers']``.

    Args:
        in_channels (int): object-query channels ``d``.
        hidden_dims (int): MLP width.
        num_layers (int): MLP depth (3 in the paper).
        loss_bbox (dict): L1 loss config on normalised cxcywh (``lambda_1``).
        loss_giou (dict): GIoU loss config on normalised xyxy (``lambda_2``).
        loss_aux (dict, optional): temporal attentive loss config on the in-span logits
            (``lambda_3``); None: no in-span score at all (no ``span_fc``, TubeDETR's head).
        in_key (str, optional): the features read; ``'queries'`` by default.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_dims: int = 256,
                 num_layers: int = 3,
                 loss_bbox: dict = dict(type='mmdet.L1Loss', loss_weight=5.0),
                 loss_giou: dict = dict(type='mmdet.GIoULoss', loss_weight=2.0),
                 loss_aux: Optional[dict] = dict(type='TemporalAttentiveLoss', loss_weight=0.5),
                 in_key: Optional[str] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(in_key=in_key, init_cfg=init_cfg)
        self.box_mlp = MLP(in_channels, hidden_dims, 4, num_layers)
        self.span_fc = nn.Linear(in_channels, 1) if loss_aux is not None else None
        self.loss_bbox = MODELS.build(loss_bbox)
        self.loss_giou = MODELS.build(loss_giou)
        self.loss_aux = MODELS.build(loss_aux) if loss_aux is not None else None

    def forward(self, feats: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Predict boxes and in-span logits.

        Args:
            feats (dict): the grounder's features: ``feats[in_key]`` (B, T, C), the object
                query of every frame (any leading dims work), and optionally
                ``ref_centers`` (B, T, 2) normalised reference centres; when given, the
                MLP's centre output is an offset to them in logit space (as
                Conditional/Deformable DETR's reference points). The paper's head has none.

        Returns:
            dict: ``boxes`` (B, T, 4) normalised cxcywh in (0, 1) and ``span_logits`` (B, T)
            (absent without ``loss_aux``).
        """
        query = self.get_input(feats)
        out = add_ref_centers(self.box_mlp(query), feats.get('ref_centers'))
        if self.span_fc is None:
            return dict(boxes=out.sigmoid())
        return dict(boxes=out.sigmoid(), span_logits=self.span_fc(query).squeeze(-1))

    def loss_by_feat(self, outs: Dict[str, torch.Tensor],
                     targets: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Static-branch losses ``L_s`` (Eq. 4).

        Args:
            outs (dict): :meth:`forward`'s outputs.
            targets (dict): ``gt_boxes`` (B, T, 4) GT normalised xyxy (only read on in-span
                frames), ``in_span`` (B, T) bool and ``frame_mask`` (B, T) bool.

        Returns:
            dict: ``loss_bbox``, ``loss_giou`` (averaged over the in-span real frames) and
            ``loss_static_aux`` (with ``loss_aux``).
        """
        frame_mask = targets['frame_mask'].bool()
        valid = targets['in_span'].bool() & frame_mask
        losses = cxcywh_box_losses(outs['boxes'], targets['gt_boxes'], valid, self.loss_bbox,
                                   self.loss_giou)
        if self.loss_aux is not None:
            losses['loss_static_aux'] = self.loss_aux(outs['span_logits'], valid, frame_mask)
        return losses

    def predict_by_feat(self, outs: Dict[str, torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
        """(B, T, 4) normalised xyxy boxes and (B, T) in-span probabilities (ones without
        ``loss_aux``)."""
        boxes = bbox_cxcywh_to_xyxy(outs['boxes'])
        if 'span_logits' not in outs:
            return boxes, boxes.new_ones(boxes.shape[:-1])
        return boxes, outs['span_logits'].sigmoid()
