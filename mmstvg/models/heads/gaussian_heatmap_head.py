"""GKCMN's Gaussian kernel-based spatial location head (§2.3, Eqs. 5-7).

- ``M_mix`` (B, C, T, h, w) is up-sampled (bilinear) to L x L (``map_size``; L = 16).
- Per frame, a heatmap branch predicts ĥ (sigmoid; bias initialised to -2.19 as CenterNet)
  and a size branch predicts the distances (l, t, r, b) from each cell centre to the box
  sides, in cells (softplus, non-negative).
- Targets (Eq. 5): a Gaussian ``exp(-((x - x_c)^2 + (y - y_c)^2) / (2σ^2))`` over the cell
  indices, centred on the cell holding the box centre (peak exactly 1 there). The paper only
  says that "σ determines the size of kernels" and that γ (0.8) "determines the number of
  positive samples" (the cells with target > γ, Eq. 6); how σ follows the box is not given.
  ``sigma_mode`` (with ``sigma_ratio`` ρ, in cells of the L x L map, box side w' x h'):

  - ``'box'`` (default): Eq. 5's single σ, proportional to the box size,
    ``σ = ρ · sqrt(w' h')``. The positives are the cells within ``σ sqrt(2 ln(1/γ))``
    = 0.668 σ of the peak; with ρ = 0.4 (default) that is 0.27 of the box size: a box of
    a quarter of the L = 16 map (4 cells) gets the peak and its 4 neighbours, a 12-cell box
    37 cells, a box under ~3.75 cells only its peak. ρ = 0.4 is the smallest value (to one
    decimal) at which a quarter-map box gets more than one positive; the positives then
    cover the central ~22 % of a square box and stay inside it.
  - ``'box_xy'``: an elliptical kernel, ``σ_x = ρ w'``, ``σ_y = ρ h'`` (TTFNet-style;
    Eq. 5 has one σ, so not the paper's form).
  - ``'centernet'``: the earlier reading, ``σ = radius / 3`` with mmdet's
    ``gaussian_radius(box size, min_overlap=delta)`` and the paper's otherwise undefined
    "δ = 0.9" as that overlap. On the L = 16 map the radius stays under 1.4 cells, so σ is the
    0.5 floor for every box and exactly one cell exceeds γ: Eq. 6's γ never adds a positive.

  σ is at least 0.5 cells in every mode; a fixed ``sigma`` (cells) overrides the mode.
  ``single_point=True`` ("w/o SK") puts a single 1 on the centre cell.
- Size regression (Eq. 7): every cell whose centre lies inside the GT box (the centre cell
  for boxes smaller than a cell) regresses the box; GIoU (mmdet) between the decoded and the
  GT box, averaged over those cells.
- Decoding: the heatmap peak of each frame and the box regressed at that cell.

Only frames inside the GT span (with a box) are supervised.
"""
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.models.utils import gaussian_radius
from mmdet.structures.bbox import bbox2distance, distance2bbox

from mmstvg.registry import MODELS
from .base_spatial_head import BaseSpatialHead


@MODELS.register_module()
class GaussianHeatmapHead(BaseSpatialHead):
    """Gaussian heatmap + ltrb size head.

    Reads the per-frame feature maps ``feats['maps']`` (B, C, T, h, w) (GKCMN's fused maps;
    STVGFormer's dynamic maps when it is swapped in).

    Args:
        in_channels (int): channels of the input maps.
        feat_channels (int): hidden channels of both branches. Defaults to 32.
        map_size (int, optional): L; None keeps the input resolution (BM).
        sigma (float, optional): fixed σ in cells; None: ``sigma_mode`` (see docstring).
        sigma_mode (str): ``'box'`` (σ = ρ sqrt(w' h'), Eq. 5's single σ), ``'box_xy'``
            (σ_x = ρ w', σ_y = ρ h') or ``'centernet'`` (radius / 3 with overlap ``delta``).
            Defaults to ``'box'``.
        sigma_ratio (float): ρ of the ``'box'`` modes. Defaults to 0.4.
        delta (float): min overlap of the ``'centernet'`` radius. Defaults to 0.9.
        single_point (bool): single-point targets ("w/o SK"). Defaults to False.
        loss_heatmap (dict): Eq. 6 (α_1 as its weight).
        loss_bbox (dict): Eq. 7, mmdet's GIoU (α_2 as its weight).
        in_key (str, optional): the features read; ``'maps'`` by default.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 feat_channels: int = 32,
                 map_size: Optional[int] = 16,
                 sigma: Optional[float] = None,
                 sigma_mode: str = 'box',
                 sigma_ratio: float = 0.4,
                 delta: float = 0.9,
                 single_point: bool = False,
                 loss_heatmap: dict = dict(
                     type='ThresholdGaussianFocalLoss',
                     alpha=2.0,
                     beta=4.0,
                     gamma=0.8,
                     loss_weight=1.0),
                 loss_bbox: dict = dict(type='mmdet.GIoULoss', loss_weight=2.0),
                 in_key: Optional[str] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(in_key=in_key, init_cfg=init_cfg)
        self.map_size = map_size
        if sigma_mode not in self.SIGMA_MODES:
            raise ValueError(f'sigma_mode must be one of {self.SIGMA_MODES}, got {sigma_mode!r}')
        if sigma_ratio <= 0:
            raise ValueError(f'sigma_ratio must be > 0, got {sigma_ratio}')
        self.sigma = sigma
        self.sigma_mode = sigma_mode
        self.sigma_ratio = float(sigma_ratio)
        self.delta = delta
        self.single_point = single_point

        def branch(out):
            return nn.Sequential(
                nn.Conv2d(in_channels, feat_channels, 3, padding=1), nn.ReLU(inplace=True),
                nn.Conv2d(feat_channels, out, 1))

        self.heatmap_branch = branch(1)
        self.size_branch = branch(4)
        nn.init.constant_(self.heatmap_branch[-1].bias, -2.19)
        self.loss_heatmap = MODELS.build(loss_heatmap)
        self.loss_bbox = MODELS.build(loss_bbox)

    default_in_key = 'maps'
    SIGMA_MODES = ('box', 'box_xy', 'centernet')
    MIN_SIGMA = 0.5

    def forward(self, feats: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Predict.

        Args:
            feats (dict): the grounder's features; reads ``feats[in_key]`` (B, C, T, h, w).

        Returns:
            dict: ``heatmap`` (B, T, L, L) logits, ``ltrb`` (B, T, 4, L, L) in cells.
        """
        maps = self.get_input(feats)
        b, c, t, h, w = maps.shape
        x = maps.transpose(1, 2).reshape(b * t, c, h, w)
        if self.map_size is not None and (h, w) != (self.map_size, self.map_size):
            x = F.interpolate(
                x, size=(self.map_size, self.map_size), mode='bilinear', align_corners=False)
        size = x.shape[-2:]
        heatmap = self.heatmap_branch(x).view(b, t, *size)
        ltrb = F.softplus(self.size_branch(x)).view(b, t, 4, *size)
        return dict(heatmap=heatmap, ltrb=ltrb)

    # ---------------------------------------------------------------- targets
    @staticmethod
    def cell_centres(h: int, w: int, device=None, dtype=torch.float32) -> tuple:
        """(h, w) x and y of every cell centre, in cells."""
        ys = torch.arange(h, device=device, dtype=dtype) + 0.5
        xs = torch.arange(w, device=device, dtype=dtype) + 0.5
        return xs[None].expand(h, w), ys[:, None].expand(h, w)

    @classmethod
    def encode_ltrb(cls, boxes: torch.Tensor, h: int, w: int) -> torch.Tensor:
        """(K, 4) normalised xyxy -> (K, 4, h, w) distances (in cells) of every cell centre
        to the box sides."""
        points = torch.stack(cls.cell_centres(h, w, boxes.device, boxes.dtype), dim=-1)
        scale = boxes.new_tensor([w, h, w, h])
        return bbox2distance(points, (boxes * scale)[:, None, None]).permute(0, 3, 1, 2)

    @classmethod
    def decode_ltrb(cls, ltrb: torch.Tensor) -> torch.Tensor:
        """(..., 4, h, w) distances -> (..., h, w, 4) normalised xyxy boxes."""
        h, w = ltrb.shape[-2:]
        points = torch.stack(cls.cell_centres(h, w, ltrb.device, ltrb.dtype), dim=-1)
        return distance2bbox(points, ltrb.movedim(-3, -1)) / ltrb.new_tensor([w, h, w, h])

    def get_sigmas(self, boxes: torch.Tensor, h: int, w: int) -> tuple:
        """σ_x, σ_y of the Gaussian of every box (see module docstring).

        Args:
            boxes (Tensor): (K, 4) normalised xyxy.
            h, w (int): map size.

        Returns:
            tuple: ``sigma_x``, ``sigma_y``, each (K, ) in cells (equal unless ``'box_xy'``).
        """
        bw = (boxes[:, 2] - boxes[:, 0]).clamp(min=0) * w
        bh = (boxes[:, 3] - boxes[:, 1]).clamp(min=0) * h
        if self.sigma is not None:
            sigma = boxes.new_full((boxes.shape[0], ), float(self.sigma))
            return sigma, sigma
        if self.sigma_mode == 'box':
            sigma = (self.sigma_ratio * (bw * bh).sqrt()).clamp(min=self.MIN_SIGMA)
            return sigma, sigma
        if self.sigma_mode == 'box_xy':
            return ((self.sigma_ratio * bw).clamp(min=self.MIN_SIGMA),
                    (self.sigma_ratio * bh).clamp(min=self.MIN_SIGMA))
        radius = [
            max(0.0, gaussian_radius((float(y), float(x)), min_overlap=self.delta))
            for y, x in zip(bh, bw)
        ]
        sigma = boxes.new_tensor([max(r / 3.0, self.MIN_SIGMA) for r in radius])
        return sigma, sigma

    def get_targets(self, boxes: torch.Tensor, h: int, w: int) -> tuple:
        """Targets of K boxes.

        Args:
            boxes (Tensor): (K, 4) normalised xyxy.
            h, w (int): map size.

        Returns:
            tuple: ``heatmap`` (K, h, w), ``ltrb`` (K, 4, h, w), ``reg_mask`` (K, h, w).
        """
        k = boxes.shape[0]
        cx = ((boxes[:, 0] + boxes[:, 2]) / 2 * w).floor().long().clamp(0, w - 1)
        cy = ((boxes[:, 1] + boxes[:, 3]) / 2 * h).floor().long().clamp(0, h - 1)
        xs = torch.arange(w, device=boxes.device, dtype=boxes.dtype)[None, None]
        ys = torch.arange(h, device=boxes.device, dtype=boxes.dtype)[None, :, None]
        if self.single_point:
            heatmap = boxes.new_zeros(k, h, w)
            heatmap[torch.arange(k), cy, cx] = 1
        else:
            sigma_x, sigma_y = self.get_sigmas(boxes, h, w)
            heatmap = torch.exp(-(xs - cx[:, None, None].to(boxes.dtype))**2 /
                                (2 * sigma_x[:, None, None]**2) -
                                (ys - cy[:, None, None].to(boxes.dtype))**2 /
                                (2 * sigma_y[:, None, None]**2))
        ltrb = self.encode_ltrb(boxes, h, w)
        reg_mask = (ltrb > 0).all(dim=1)
        centre = torch.zeros_like(reg_mask)
        centre[torch.arange(k), cy, cx] = True
        empty = ~reg_mask.flatten(1).any(1)
        reg_mask[empty] = centre[empty]
        return heatmap, ltrb, reg_mask

    def loss_by_feat(self, out: Dict[str, torch.Tensor],
                     targets: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Eqs. 6-7.

        Args:
            out (dict): :meth:`forward`'s outputs.
            targets (dict): ``gt_boxes`` (B, T, 4) normalised xyxy and ``in_span`` (B, T)
                bool, frames with a GT box (in span, not padding).

        Returns:
            dict: ``loss_heatmap``, ``loss_bbox``.
        """
        gt_boxes, valid = targets['gt_boxes'], targets['in_span']
        heatmap, ltrb = out['heatmap'][valid], out['ltrb'][valid]  # (K, L, L), (K, 4, L, L)
        if heatmap.shape[0] == 0:
            zero = out['heatmap'].sum() * 0 + out['ltrb'].sum() * 0
            return dict(loss_heatmap=zero, loss_bbox=zero)
        h, w = heatmap.shape[-2:]
        boxes = gt_boxes[valid].to(heatmap.dtype)
        target, _, reg_mask = self.get_targets(boxes, h, w)
        loss_heatmap = self.loss_heatmap(
            heatmap.sigmoid(), target, avg_factor=float(boxes.shape[0]))
        pred = self.decode_ltrb(ltrb)[reg_mask]  # (M, 4)
        gt = boxes[:, None, None].expand(-1, h, w, 4)[reg_mask]
        loss_bbox = self.loss_bbox(pred, gt, avg_factor=max(int(reg_mask.sum()), 1))
        return dict(loss_heatmap=loss_heatmap, loss_bbox=loss_bbox)

    def predict_by_feat(self, out: Dict[str, torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
        """Decode every frame: (B, T, 4) normalised xyxy boxes and (B, T) peak scores."""
        heatmap = out['heatmap'].sigmoid()
        b, t, h, w = heatmap.shape
        scores, idx = heatmap.flatten(2).max(-1)  # (B, T)
        boxes = self.decode_ltrb(out['ltrb']).flatten(2, 3)  # (B, T, HW, 4)
        boxes = boxes.gather(2, idx[..., None, None].expand(-1, -1, 1, 4))[:, :, 0]
        return boxes.clamp(0, 1), scores
