"""Per-frame box regression head (MLP), trained with L1 + GIoU as DETR-style grounders are.

Boxes inside the model are normalised cxcywh (DETR convention); the centre is predicted as a
correction to a reference centre (the neck's soft-argmax), in logit space.
"""
from typing import Dict, Optional

import torch
import torch.nn as nn
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy, bbox_xyxy_to_cxcywh
from mmengine.model import BaseModule

from mmstvg.registry import MODELS


@MODELS.register_module()
class TubeBoxHead(BaseModule):
    """Regress one box per frame.

    Args:
        in_channels (int): per-frame feature channels.
        hidden_dims (int): MLP width.
        num_layers (int): MLP depth (>= 2).
        loss_bbox (dict): L1 loss config on normalised cxcywh (``mmdet.L1Loss``).
        loss_giou (dict): GIoU loss config on normalised xyxy (``mmdet.GIoULoss``).
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_dims: int = 128,
                 num_layers: int = 3,
                 loss_bbox: dict = dict(type='mmdet.L1Loss', loss_weight=5.0),
                 loss_giou: dict = dict(type='mmdet.GIoULoss', loss_weight=2.0),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        layers, dims = [], in_channels
        for _ in range(num_layers - 1):
            layers += [nn.Linear(dims, hidden_dims), nn.ReLU(inplace=True)]
            dims = hidden_dims
        layers.append(nn.Linear(dims, 4))
        self.mlp = nn.Sequential(*layers)
        self.loss_bbox = MODELS.build(loss_bbox)
        self.loss_giou = MODELS.build(loss_giou)

    def forward(self, feats: torch.Tensor,
                ref_centers: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Predict boxes.

        Args:
            feats (Tensor): (B, N, C) per-frame features.
            ref_centers (Tensor, optional): (B, N, 2) reference centres, normalised.

        Returns:
            Tensor: (B, N, 4) normalised cxcywh boxes in (0, 1).
        """
        out = self.mlp(feats)
        if ref_centers is not None:
            ref = torch.logit(ref_centers.clamp(1e-4, 1 - 1e-4))
            out = torch.cat([out[..., :2] + ref, out[..., 2:]], -1)
        return out.sigmoid()

    def loss(self, pred_boxes: torch.Tensor, gt_boxes: torch.Tensor,
             valid: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Box losses on the frames where the target is annotated.

        Args:
            pred_boxes (Tensor): (B, N, 4) normalised cxcywh.
            gt_boxes (Tensor): (B, N, 4) normalised xyxy.
            valid (Tensor): (B, N) bool, frames inside the GT span (and not padding).

        Returns:
            dict: ``loss_bbox`` and ``loss_giou``.
        """
        pred = pred_boxes[valid]
        gt = gt_boxes[valid]
        num = max(int(valid.sum()), 1)
        if pred.numel() == 0:  # keep the graph connected when no frame is annotated
            zero = pred_boxes.sum() * 0
            return dict(loss_bbox=zero, loss_giou=zero)
        return dict(
            loss_bbox=self.loss_bbox(pred, bbox_xyxy_to_cxcywh(gt), avg_factor=num),
            loss_giou=self.loss_giou(bbox_cxcywh_to_xyxy(pred), gt, avg_factor=num))
