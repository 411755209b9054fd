"""STCAT's box head (Jin et al., NeurIPS 2022, §3.3): a 3-layer MLP on every frame query of
the spatial decoder predicts the box as an offset, in logit space, to the frame's anchor box
(DAB-DETR): ``b_t = sigmoid(MLP(q_t) + logit(a_t))``, normalised cxcywh, with the released
code's ``logit`` (inputs clamped to [1e-3, 1 - 1e-3]). The same MLP refines the anchors
between the decoder layers (:class:`~mmstvg.models.necks.STCATDecoder` receives it), as the
released code shares ``bbox_embed`` with its decoder. Trained with L1 + GIoU on the frames of
the GT span (STCAT: weights 5 and 4 on HC-STVG, 5 and 3 on VidSTG).
"""
from typing import Dict, Optional

import torch

from mmstvg.registry import MODELS
from ..necks.stcat_decoder import inverse_sigmoid
from .query_box_head import QueryBoxHead


@MODELS.register_module()
class AnchorBoxHead(QueryBoxHead):
    """Box per frame relative to an anchor box (module docstring).

    Reads ``feats[in_key]`` (B, T, C) (``'queries'`` by default) and the anchors
    ``feats[anchor_key]`` (B, T, 4) normalised cxcywh (without them the MLP's output is the
    box logit itself).

    Args:
        in_channels (int): query channels d.
        hidden_dims (int): MLP width.
        num_layers (int): MLP depth (3).
        loss_bbox (dict): L1 loss on normalised cxcywh.
        loss_giou (dict): GIoU loss on normalised xyxy.
        anchor_key (str): the features holding the anchors. Defaults to ``'ref_anchors'``.
        in_key (str, optional): the features read; ``'queries'`` by default.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_dims: int = 256,
                 num_layers: int = 3,
                 loss_bbox: dict = dict(type='mmdet.L1Loss', loss_weight=5.0),
                 loss_giou: dict = dict(type='mmdet.GIoULoss', loss_weight=4.0),
                 anchor_key: str = 'ref_anchors',
                 in_key: Optional[str] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            in_channels,
            hidden_dims=hidden_dims,
            num_layers=num_layers,
            loss_bbox=loss_bbox,
            loss_giou=loss_giou,
            loss_aux=None,
            in_key=in_key,
            init_cfg=init_cfg)
        self.anchor_key = anchor_key

    def forward(self, feats: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Boxes.

        Args:
            feats (dict): ``feats[in_key]`` (B, T, C) and ``feats[anchor_key]`` (B, T, 4).

        Returns:
            dict: ``boxes`` (B, T, 4) normalised cxcywh in (0, 1).
        """
        out = self.box_mlp(self.get_input(feats))
        anchors = feats.get(self.anchor_key)
        if anchors is not None:
            out = out + inverse_sigmoid(anchors)
        return dict(boxes=out.sigmoid())
