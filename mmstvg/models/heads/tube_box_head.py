"""Per-frame box regression head (MLP), trained with L1 + GIoU as DETR-style grounders are.

Boxes inside the model are normalised cxcywh (DETR convention); the centre is predicted as a
correction to a reference centre (the neck's soft-argmax), in logit space.
"""
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy

from mmstvg.registry import MODELS
from .base_spatial_head import BaseSpatialHead, add_ref_centers, cxcywh_box_losses


@MODELS.register_module()
class TubeBoxHead(BaseSpatialHead):
    """Regress one box per frame from per-frame features (``feats['queries']``).

    Args:
        in_channels (int): per-frame feature channels.
        hidden_dims (int): MLP width.
        num_layers (int): MLP depth (>= 2).
        loss_bbox (dict): L1 loss config on normalised cxcywh (``mmdet.L1Loss``).
        loss_giou (dict): GIoU loss config on normalised xyxy (``mmdet.GIoULoss``).
        in_key (str, optional): the features read; ``'queries'`` by default.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_dims: int = 128,
                 num_layers: int = 3,
                 loss_bbox: dict = dict(type='mmdet.L1Loss', loss_weight=5.0),
                 loss_giou: dict = dict(type='mmdet.GIoULoss', loss_weight=2.0),
                 in_key: Optional[str] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(in_key=in_key, init_cfg=init_cfg)
        layers, dims = [], in_channels
        for _ in range(num_layers - 1):
            layers += [nn.Linear(dims, hidden_dims), nn.ReLU(inplace=True)]
            dims = hidden_dims
        layers.append(nn.Linear(dims, 4))
        self.mlp = nn.Sequential(*layers)
        self.loss_bbox = MODELS.build(loss_bbox)
        self.loss_giou = MODELS.build(loss_giou)

    def forward(self, feats: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Predict boxes.

        Args:
            feats (dict): the grounder's features: ``feats[in_key]`` (B, N, C) per-frame
                features and optionally ``ref_centers`` (B, N, 2) normalised reference
                centres.

        Returns:
            dict: ``boxes`` (B, N, 4) normalised cxcywh boxes in (0, 1).
        """
        out = add_ref_centers(self.mlp(self.get_input(feats)), feats.get('ref_centers'))
        return dict(boxes=out.sigmoid())

    def loss_by_feat(self, outs: Dict[str, torch.Tensor],
                     targets: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Box losses on the frames where the target is annotated.

        Args:
            outs (dict): :meth:`forward`'s outputs.
            targets (dict): ``gt_boxes`` (B, N, 4) normalised xyxy and ``in_span`` (B, N)
                bool, frames inside the GT span (and not padding).

        Returns:
            dict: ``loss_bbox`` and ``loss_giou``.
        """
        return cxcywh_box_losses(outs['boxes'], targets['gt_boxes'], targets['in_span'],
                                 self.loss_bbox, self.loss_giou)

    def predict_by_feat(self, outs: Dict[str, torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
        """(B, N, 4) normalised xyxy boxes and (B, N) scores (all 1: the head has none)."""
        boxes = bbox_cxcywh_to_xyxy(outs['boxes'])
        return boxes, boxes.new_ones(boxes.shape[:-1])
