"""Masked temporal convolution over per-frame features: the temporal half of the baseline.

Motion is what separates "the red square jumps" from the red square standing still, so the
per-frame features are concatenated with the estimated target centre and its frame-to-frame
displacement, conditioned on the sentence, and mixed by dilated residual 1D convolutions.
"""
from typing import Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmstvg.registry import MODELS


class _TemporalBlock(nn.Module):
    """conv(k, dilation) -> LayerNorm over channels (per frame, so padding never leaks into
    the statistics of real frames) -> ReLU -> 1x1 conv. Input/output (B, C, N)."""

    def __init__(self, dims: int, kernel_size: int, dilation: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(
            dims, dims, kernel_size, padding=dilation * (kernel_size // 2), dilation=dilation)
        self.norm = nn.LayerNorm(dims)
        self.proj = nn.Conv1d(dims, dims, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm(self.conv(x).transpose(1, 2)).transpose(1, 2)
        return self.proj(x.relu())


@MODELS.register_module()
class TemporalConvNeck(BaseModule):
    """Dilated residual 1D convolutions over time, padding-aware.

    Args:
        in_channels (int): per-frame feature channels.
        text_channels (int): sentence feature channels.
        embed_dims (int): output channels.
        dilations (Sequence[int]): one residual block per dilation.
        kernel_size (int): temporal kernel size (odd).
        motion_scale (float): multiplier of the centre displacement (normalised units per
            sampled frame, typically ~0.01) so that it enters on the scale of the features.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 text_channels: int,
                 embed_dims: int = 128,
                 dilations: Sequence[int] = (1, 2, 4),
                 kernel_size: int = 3,
                 motion_scale: float = 10.0,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.motion_scale = motion_scale
        # +4: centre (x, y) and its displacement from the previous frame (dx, dy).
        self.input_proj = nn.Linear(in_channels + 4 + text_channels, embed_dims)
        self.blocks = nn.ModuleList(_TemporalBlock(embed_dims, kernel_size, d) for d in dilations)

    def forward(self, feats: torch.Tensor, centers: torch.Tensor, sentence: torch.Tensor,
                frame_mask: torch.Tensor) -> torch.Tensor:
        """Mix features over time.

        Args:
            feats (Tensor): (B, N, C) per-frame features.
            centers (Tensor): (B, N, 2) estimated target centres, normalised.
            sentence (Tensor): (B, Ct) sentence features.
            frame_mask (Tensor): (B, N) bool, True for real (non-padded) frames.

        Returns:
            Tensor: (B, N, D) temporally mixed features (zero on padded frames).
        """
        motion = torch.zeros_like(centers)
        motion[:, 1:] = (centers[:, 1:] - centers[:, :-1]) * frame_mask[:, :-1, None] * \
            self.motion_scale
        text = sentence[:, None].expand(-1, feats.shape[1], -1)
        x = self.input_proj(torch.cat([feats, centers, motion, text], -1))
        mask = frame_mask[:, None, :].to(x.dtype)  # (B, 1, N)
        x = x.transpose(1, 2) * mask
        for block in self.blocks:
            x = (x + block(x)) * mask
        return x.transpose(1, 2)
