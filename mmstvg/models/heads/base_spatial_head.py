"""Base class of the spatial heads: one box per frame (see ``base_grounding_head.py`` for the
features a grounder passes and the targets)."""
from abc import abstractmethod
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy, bbox_xyxy_to_cxcywh

from .base_grounding_head import BaseGroundingHead


class BaseSpatialHead(BaseGroundingHead):
    """A head that predicts one box (and a confidence) per frame.

    Subclasses implement :meth:`forward`, :meth:`loss_by_feat` (box losses on the frames
    inside the GT span) and :meth:`predict_by_feat`.
    """

    default_in_key = 'queries'

    @abstractmethod
    def predict_by_feat(self, outs: Dict[str, torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
        """Decode every frame.

        Returns:
            tuple: ``boxes`` (B, T, 4) normalised xyxy and ``scores`` (B, T).
        """

    def predict(self, feats: Dict[str, torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
        """Forward, then :meth:`predict_by_feat`."""
        return self.predict_by_feat(self(feats))


def add_ref_centers(out: torch.Tensor, ref_centers: Optional[torch.Tensor]) -> torch.Tensor:
    """Offset the centre logits of (..., 4) cxcywh box logits by (..., 2) normalised
    reference centres (in logit space, as Conditional/Deformable DETR); None: unchanged."""
    if ref_centers is None:
        return out
    ref = torch.logit(ref_centers.to(out.dtype).clamp(1e-4, 1 - 1e-4))
    return torch.cat([out[..., :2] + ref, out[..., 2:]], dim=-1)


def cxcywh_box_losses(boxes: torch.Tensor, gt_boxes: torch.Tensor, valid: torch.Tensor,
                      loss_bbox: nn.Module, loss_giou: nn.Module) -> Dict[str, torch.Tensor]:
    """DETR's box losses on the valid frames: L1 on normalised cxcywh, GIoU on xyxy.

    Args:
        boxes (Tensor): (B, T, 4) predicted normalised cxcywh.
        gt_boxes (Tensor): (B, T, 4) GT normalised xyxy (only read where ``valid``).
        valid (Tensor): (B, T) bool, frames with a GT box.
        loss_bbox, loss_giou (nn.Module): the two losses (mmdet's L1 and GIoU).

    Returns:
        dict: ``loss_bbox`` and ``loss_giou``, averaged over the valid frames (0, with the
        graph kept connected, when there are none).
    """
    pred = boxes[valid]
    gt = gt_boxes[valid].to(pred.dtype)
    if pred.numel() == 0:
        zero = boxes.sum() * 0
        return dict(loss_bbox=zero, loss_giou=zero)
    num = max(int(valid.sum()), 1)
    return dict(
        loss_bbox=loss_bbox(pred, bbox_xyxy_to_cxcywh(gt), avg_factor=num),
        loss_giou=loss_giou(bbox_cxcywh_to_xyxy(pred), gt, avg_factor=num))
