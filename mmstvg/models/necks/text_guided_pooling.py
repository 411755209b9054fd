"""Text-guided spatial pooling: the spatial half of mmstvg's per-frame baseline.

Each frame's feature map is modulated by the sentence feature (FiLM-style product), scored
per location, and soft-max pooled; the soft-argmax of the score map is the frame's estimated
target centre. A simple, honest spatial grounding baseline in the spirit of the "visual
feature x text feature" attention used by the STVG baselines that the papers compare against.
"""
from typing import Dict

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmstvg.registry import MODELS


@MODELS.register_module()
class TextGuidedPooling(BaseModule):
    """Pool each frame's feature map with a sentence-conditioned attention.

    Args:
        in_channels (int): channels of the visual feature map.
        text_channels (int): channels of the sentence feature.
        embed_dims (int): channels of the fused features.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 text_channels: int,
                 embed_dims: int = 128,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = embed_dims
        # +2: normalised (x, y) coordinates of each location, so position can be scored.
        self.visual_proj = nn.Conv2d(in_channels + 2, embed_dims, 1)
        self.text_proj = nn.Linear(text_channels, embed_dims)
        self.score = nn.Sequential(
            nn.Conv2d(embed_dims, embed_dims, 1), nn.ReLU(inplace=True),
            nn.Conv2d(embed_dims, 1, 1))

    @staticmethod
    def _grid(h: int, w: int, ref: torch.Tensor) -> torch.Tensor:
        """(2, h, w) normalised centres of the feature-map cells, x then y, in [0, 1]."""
        ys = (torch.arange(h, device=ref.device, dtype=ref.dtype) + 0.5) / h
        xs = (torch.arange(w, device=ref.device, dtype=ref.dtype) + 0.5) / w
        gy, gx = torch.meshgrid(ys, xs, indexing='ij')
        return torch.stack([gx, gy])

    def forward(self, feats: torch.Tensor, sentence: torch.Tensor,
                num_frames: int) -> Dict[str, torch.Tensor]:
        """Fuse and pool.

        Args:
            feats (Tensor): (B * N, C, h, w) visual feature maps, frames of a sample
                contiguous.
            sentence (Tensor): (B, Ct) sentence features.
            num_frames (int): N, frames per sample.

        Returns:
            dict: ``feats`` (B, N, D) pooled fused features, ``centers`` (B, N, 2) soft-argmax
            target centre (normalised x, y), ``attn`` (B, N, h, w) pooling weights.
        """
        bn, _, h, w = feats.shape
        b = bn // num_frames
        grid = self._grid(h, w, feats).unsqueeze(0).expand(bn, -1, -1, -1)
        v = self.visual_proj(torch.cat([feats, grid], 1))  # (BN, D, h, w)
        t = self.text_proj(sentence).repeat_interleave(num_frames, 0)  # (BN, D)
        fused = v * t[:, :, None, None]
        logits = self.score(fused).flatten(1)  # (BN, hw)
        attn = logits.softmax(-1)
        pooled = torch.einsum('bl,bdl->bd', attn, fused.flatten(2))  # (BN, D)
        centers = torch.einsum('bl,bcl->bc', attn, grid.flatten(2))  # (BN, 2)
        return dict(
            feats=pooled.view(b, num_frames, -1),
            centers=centers.view(b, num_frames, 2),
            attn=attn.view(b, num_frames, h, w))
