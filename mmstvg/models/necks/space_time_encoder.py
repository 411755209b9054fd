"""TubeDETR's video-text encoder (Yang et al., CVPR 2022, §3.1, Fig. 2): a slow multi-modal
branch and a fast visual branch.

Inputs: the projected feature maps (d channels) of every sampled frame (fast branch) and of
every ``k``-th of them (slow branch, ``k`` = ``stride``), and the projected text tokens.

- Slow branch: for each clip of ``k`` consecutive frames, the first frame's ``HW`` visual
  tokens and the sentence's ``L`` tokens go through MDETR's cross-modal transformer encoder
  (``cross_modal_encoder``: a :class:`~mmstvg.models.necks.StaticBranch` without decoder;
  2-D sine encoding on the visual tokens, none on the text), giving ``HW + L`` tokens per
  clip. The clip's tokens (and positional encoding) are then given to each of its ``k``
  frames ("temporal replication"; the last clip may be shorter).
- Fast branch: every frame's visual tokens pass a linear layer ``g`` (the backbone runs
  without gradient for this branch, in the grounder).
- Aggregation: the visual part of each frame's memory becomes
  ``s + r(s + g(f))`` (``s`` slow, ``f`` fast tokens, ``r`` a linear layer initialised to
  zero, so that training starts from the slow branch alone); the text part is the slow
  branch's.

``with_fast=False`` is the slow-only ablation ("--no_fast"): replication only. The other
fast-branch variants of the released code (``--fast_mode`` gating / transformer / pool /
noslow) are not ported.

Output: per frame, the memory over its ``HW + L`` tokens, their positional encoding and
padding mask (the visual mask of the frame itself with the fast branch, of its clip's first
frame without), the inputs of :class:`~mmstvg.models.necks.SpaceTimeDecoder`.
"""
from typing import Dict, Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmstvg.registry import MODELS


@MODELS.register_module()
class SpaceTimeEncoder(BaseModule):
    """Slow/fast video-text encoder (module docstring).

    Args:
        cross_modal_encoder (dict): the slow branch's encoder, a ``StaticBranch`` config with
            ``num_decoder_layers=0`` (TubeDETR: 6 layers, d = 256, 8 heads, FFN 2048,
            dropout 0.1 also on the attention weights).
        stride (int): temporal stride ``k`` of the slow branch (TubeDETR's main released
            models: 4; 2 for the res=224 ones).
        with_fast (bool): use the fast branch and the aggregation (TubeDETR: True).
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 cross_modal_encoder: dict,
                 stride: int = 4,
                 with_fast: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if int(stride) < 1:
            raise ValueError(f'stride must be >= 1, got {stride}')
        cfg = dict(cross_modal_encoder)
        cfg.setdefault('num_decoder_layers', 0)
        if cfg['num_decoder_layers'] != 0:
            raise ValueError('the cross-modal encoder of the slow branch has no decoder: '
                             'set num_decoder_layers=0')
        self.cross_modal_encoder = MODELS.build(cfg)
        self.embed_dims = self.cross_modal_encoder.embed_dims
        self.stride = int(stride)
        self.with_fast = with_fast
        if with_fast:
            d = self.embed_dims
            self.fast_encoder = nn.Linear(d, d)
            self.fast_residual = nn.Linear(d, d)

    def init_weights(self) -> None:
        """The residual layer of the aggregation starts at zero (released code)."""
        super().init_weights()
        if self.with_fast:
            nn.init.zeros_(self.fast_residual.weight)
            nn.init.zeros_(self.fast_residual.bias)

    def clip_index(self, num_frames: int, device=None) -> torch.Tensor:
        """(T,) long: the slow clip of every frame (``t // k``)."""
        return torch.div(
            torch.arange(num_frames, device=device), self.stride, rounding_mode='floor')

    def forward(self,
                slow_feats: torch.Tensor,
                slow_mask: Optional[torch.Tensor],
                text: torch.Tensor,
                text_mask: torch.Tensor,
                num_frames: int,
                fast_feats: Optional[torch.Tensor] = None,
                fast_mask: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
        """Encode a batch of B videos of T frames.

        Args:
            slow_feats (Tensor): (B * n, d, h, w) projected maps of the frames ``0, k, 2k
                ...`` of every video, ``n = ceil(T / k)``.
            slow_mask (Tensor, optional): (B * n, h, w) bool, True = padded position.
            text (Tensor): (B, L, d) projected text tokens.
            text_mask (Tensor): (B, L) bool, True = real token.
            num_frames (int): T.
            fast_feats (Tensor, optional): (B * T, d, h, w) projected maps of every frame
                (needed with the fast branch).
            fast_mask (Tensor, optional): (B * T, h, w) bool, True = padded position.

        Returns:
            dict: ``memory`` (B * T, HW + L, d), ``memory_pos`` (B * T, HW + L, d) and
            ``memory_mask`` (B * T, HW + L) bool (True = padding), frame ``t`` of video
            ``b`` in row ``b * T + t``; ``hw`` (h, w).
        """
        bn, d, h, w = slow_feats.shape
        b, t = text.shape[0], int(num_frames)
        n = bn // b
        if n * b != bn or n != -(-t // self.stride):
            raise ValueError(f'{bn} slow frames for {b} videos of {t} frames with stride '
                             f'{self.stride} (expected {b} x {-(-t // self.stride)})')
        enc = self.cross_modal_encoder.encode(slow_feats, slow_mask, text.repeat_interleave(n, 0),
                                              text_mask.repeat_interleave(n, 0))
        s = enc['memory'].shape[1]
        clip = self.clip_index(t, slow_feats.device)
        # temporal replication: frame t reads clip t // k
        memory = enc['memory'].view(b, n, s, d)[:, clip]
        memory_pos = enc['memory_pos'].view(b, n, s, d)[:, clip]
        hw = h * w
        if self.with_fast:
            if fast_feats is None:
                raise ValueError('the fast branch needs `fast_feats`')
            fast = fast_feats.flatten(2).transpose(1, 2).reshape(b, t, hw, d)
            slow_vis = memory[:, :, :hw]
            vis = slow_vis + self.fast_residual(slow_vis + self.fast_encoder(fast))
            memory = torch.cat([vis, memory[:, :, hw:]], dim=2)
            vis_mask = fast_mask
        else:
            vis_mask = None if slow_mask is None else slow_mask.view(b, n, h, w)[:, clip]
        if vis_mask is None:
            vis_mask = text_mask.new_zeros((b, t, hw), dtype=torch.bool)
        vis_mask = vis_mask.reshape(b, t, hw).bool()
        text_pad = (~text_mask.bool())[:, None].expand(-1, t, -1)
        memory_mask = torch.cat([vis_mask, text_pad], dim=2)
        return dict(
            memory=memory.reshape(b * t, s, d),
            memory_pos=memory_pos.reshape(b * t, s, d),
            memory_mask=memory_mask.reshape(b * t, s),
            hw=(h, w))
