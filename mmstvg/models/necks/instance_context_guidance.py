"""CG-STVG's instance context guidance (``models/grounding_model/query_decoder.py``,
``PosDecoder``: ``conf``/``conf2``, ``gf_mlp``/``gf_mlp2``, ``generate_roi_feature``,
``get_context_index_by_gt``/``_by_our``, ``generate_context``).

CG-STVG's encoder output holds, per frame, ``[appearance HW tokens, text L tokens, motion HW
tokens]`` (ResNet-101, RoBERTa, VidSwin-T). After each spatial decoder layer, with the layer's
(detached) boxes ``b_t`` (cx, cy, w, h in [0, 1]):

1. **instance features**: the mean of the appearance tokens and of the motion tokens inside
   ``b_t`` on the ``H x W`` grid (``x1 = round(W x1)``, ``y1 = round(H y1)``, ``x2 = ceil(W x2)``,
   ``y2 = round(H y2)``, clamped to a box of at least one cell inside the grid): ``r^a_t``,
   ``r^m_t`` (T x C);
2. **confidence** ``c_t = sigmoid(MLP_a(r^a_t)) + sigmoid(MLP_m(r^m_t))`` in [0, 2]
   (2-layer MLPs, dropout 0.3), output as ``boxes_conf`` and trained by
   ``BCEWithLogits(c_t, IoU(b_t, gt_t))`` on the ground-truth frames (the sum is used as a logit);
3. **selection** of reliable frames: in training the frames of the ground-truth segment whose
   GIoU with the ground truth exceeds ``train_iou_thr`` (0.8 HC-STVG v1, 0.7 v2, 0.5 VidSTG);
   at inference the frames with ``c_t > test_conf_thr`` (0.8 / 0.8 / 0.5) whose actioness logit
   (the actioness MLP on the last temporal decoder layer) exceeds ``test_actioness_thr``
   (0.5 / 0.5 / -0.5);
4. **context** ``[G_a(r^a_k); G_m(r^m_k)]`` for the selected frames ``k`` (2K x C; 2-layer
   MLPs), which every frame query of the **next** spatial decoder layer attends to after its
   self-attention (a :class:`~mmstvg.models.layers.BertCrossLayer`, the fork's ``ca2``).
   No selected frame: no context for that layer.

The fork also builds ``fuse_linear`` (Linear 2C -> C) and ``norm2`` that it never uses; they are
not here (the converter drops them). The instance features are computed with a mask over the
grid (one pass for all frames) instead of the fork's per-frame slicing loop: the same cells.
"""
from typing import Dict, Optional, Tuple

import torch
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy, bbox_overlaps
from mmengine.model import BaseModule

from mmstvg.registry import MODELS
from ..layers.dropout_mlp import DropoutMLP


@MODELS.register_module()
class InstanceContextGuidance(BaseModule):
    """Instance features, confidences and the context of reliable frames.

    Args:
        embed_dims (int): C. Defaults to 256.
        conf_dropout (float): dropout of the confidence MLPs. Defaults to 0.3.
        train_iou_thr (float): GIoU threshold with the ground truth (training selection).
        test_conf_thr (float): confidence threshold (inference selection).
        test_actioness_thr (float): actioness-logit threshold (inference selection).
    """

    def __init__(self,
                 embed_dims: int = 256,
                 conf_dropout: float = 0.3,
                 train_iou_thr: float = 0.8,
                 test_conf_thr: float = 0.8,
                 test_actioness_thr: float = 0.5,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.appearance_conf = DropoutMLP(embed_dims, embed_dims, 1, 2, dropout=conf_dropout)
        self.motion_conf = DropoutMLP(embed_dims, embed_dims, 1, 2, dropout=conf_dropout)
        self.appearance_context = DropoutMLP(embed_dims, embed_dims, embed_dims, 2)
        self.motion_context = DropoutMLP(embed_dims, embed_dims, embed_dims, 2)
        self.train_iou_thr = train_iou_thr
        self.test_conf_thr = test_conf_thr
        self.test_actioness_thr = test_actioness_thr

    @staticmethod
    def box_cells(boxes: torch.Tensor, feat_size: Tuple[int, int]) -> torch.Tensor:
        """Grid cells inside each box, as the fork rounds them.

        Args:
            boxes (Tensor): (T, 4) cx, cy, w, h normalised.
            feat_size (tuple): (H, W).

        Returns:
            Tensor: (T, H, W) bool masks, each with at least one cell.
        """
        h, w = feat_size
        xyxy = bbox_cxcywh_to_xyxy(boxes).clamp(min=0) * boxes.new_tensor([w, h, w, h])
        x1, y1, y2 = xyxy[:, 0].round(), xyxy[:, 1].round(), xyxy[:, 3].round()
        x2 = xyxy[:, 2].ceil()
        x2 = x2.clamp(min=1).clamp(max=w)
        x1 = torch.minimum(x1.clamp(min=0), x2 - 1)
        y2 = y2.clamp(min=1).clamp(max=h)
        y1 = torch.minimum(y1.clamp(min=0), y2 - 1)
        xs = torch.arange(w, device=boxes.device, dtype=boxes.dtype)
        ys = torch.arange(h, device=boxes.device, dtype=boxes.dtype)
        in_x = (xs[None] >= x1[:, None]) & (xs[None] < x2[:, None])
        in_y = (ys[None] >= y1[:, None]) & (ys[None] < y2[:, None])
        return in_y[:, :, None] & in_x[:, None, :]

    def instance_features(self, memory: torch.Tensor, feat_size: Tuple[int, int],
                          boxes: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Mean appearance and motion tokens inside each frame's box.

        Args:
            memory (Tensor): (N, T, C) encoder tokens, the first H*W appearance, the last
                H*W motion.
            feat_size (tuple): (H, W).
            boxes (Tensor): (T, 4) normalised cx, cy, w, h.

        Returns:
            tuple: appearance (T, C) and motion (T, C) features.
        """
        hw = feat_size[0] * feat_size[1]
        mask = self.box_cells(boxes, feat_size).flatten(1).to(memory.dtype)  # T, HW
        weights = mask / mask.sum(1, keepdim=True)

        def pool(tokens):  # HW, T, C
            return torch.einsum('tn,ntc->tc', weights, tokens)

        return pool(memory[:hw]), pool(memory[-hw:])

    def confidence(self, appearance: torch.Tensor, motion: torch.Tensor) -> torch.Tensor:
        """(T,) confidences in [0, 2]."""
        return (self.appearance_conf(appearance).sigmoid() + self.motion_conf(motion).sigmoid())[:,
                                                                                                 0]

    def select_train(self, boxes: torch.Tensor, gt_boxes: torch.Tensor,
                     gt_frames: torch.Tensor) -> torch.Tensor:
        """Frames of the GT segment whose box has GIoU > ``train_iou_thr`` with the GT.

        Args:
            boxes (Tensor): (T, 4) normalised cx, cy, w, h.
            gt_boxes (Tensor): (G, 4) normalised cx, cy, w, h of the GT frames.
            gt_frames (Tensor): (G,) their frame indices (consecutive).

        Returns:
            Tensor: selected frame indices, ascending.
        """
        giou = bbox_overlaps(
            bbox_cxcywh_to_xyxy(boxes[gt_frames]),
            bbox_cxcywh_to_xyxy(gt_boxes),
            mode='giou',
            is_aligned=True)
        return gt_frames[giou > self.train_iou_thr]

    def select_test(self, conf: torch.Tensor, actioness: torch.Tensor) -> torch.Tensor:
        """Frames with confidence > ``test_conf_thr`` and actioness logit > the threshold."""
        keep = (conf > self.test_conf_thr) & (actioness > self.test_actioness_thr)
        return keep.nonzero()[:, 0]

    def context(self, appearance: torch.Tensor, motion: torch.Tensor,
                index: torch.Tensor) -> Optional[torch.Tensor]:
        """(2K, C) context of the selected frames; None if none is selected."""
        if index.numel() == 0:
            return None
        return torch.cat(
            [self.appearance_context(appearance[index]),
             self.motion_context(motion[index])])

    def forward(self,
                memory: torch.Tensor,
                feat_size: Tuple[int, int],
                boxes: torch.Tensor,
                gt_boxes: Optional[torch.Tensor] = None,
                gt_frames: Optional[torch.Tensor] = None,
                actioness: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
        """Guidance after one spatial decoder layer.

        Args:
            memory (Tensor): (N, T, C) encoder tokens.
            feat_size (tuple): (H, W).
            boxes (Tensor): (T, 4) the layer's detached boxes.
            gt_boxes, gt_frames (Tensor, optional): select by the ground truth (training).
            actioness (Tensor, optional): (T,) actioness logits (inference selection).

        Returns:
            dict: ``conf`` (T,), ``index`` (selected frames) and ``context`` ((2K, C) or None).
        """
        appearance, motion = self.instance_features(memory, feat_size, boxes)
        conf = self.confidence(appearance, motion)
        if gt_boxes is not None:
            index = self.select_train(boxes, gt_boxes, gt_frames)
        else:
            index = self.select_test(conf, actioness)
        return dict(conf=conf, index=index, context=self.context(appearance, motion, index))
