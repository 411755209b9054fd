"""GKCMN's cross-modal interaction (§2.1, Eq. 1), exactly as written:

    F_f1 = g(V W_v1) · g(S_r W_s1)
    F_f2 = concat(g(F_f1 W_f2), g(V W_v2))

with ``·`` the element-wise product, ``g`` the activation, ``W_*`` channel projections
(1x1x1 convolutions) and ``S_r`` the sentence repeated to the visual shape (T, h, w).

The word axis: ``S`` has one feature per word, ``V`` one per (t, y, x); the paper repeats
"the textual tensor" to the visual shape without saying how the N words become one vector per
position. Here ``text_reduction='mean'`` (default) averages the real words (padding
excluded) into one sentence vector before the repetition, the simplest reading;
``'attention'`` lets every visual position attend over the words (softmax of
``g(V W_v1) · (S W_s1)``) and repeats that position-specific mixture instead.
"""
from typing import Optional

import torch
import torch.nn as nn
from mmcv.cnn import build_activation_layer
from mmengine.model import BaseModule

from mmstvg.registry import MODELS


@MODELS.register_module()
class CrossModalInteraction(BaseModule):
    """Eq. 1.

    Args:
        visual_channels (int): channels of V.
        text_channels (int): channels of S (per word).
        embed_dims (int): width of each projection; F_f2 has ``2 * embed_dims`` channels.
        out_channels (int, optional): a final 1x1x1 convolution to this size.
        act_cfg (dict): ``g``. Defaults to ReLU.
        text_reduction (str): ``'mean'`` or ``'attention'`` (see module docstring).
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 visual_channels: int,
                 text_channels: int,
                 embed_dims: int = 32,
                 out_channels: Optional[int] = None,
                 act_cfg: dict = dict(type='ReLU'),
                 text_reduction: str = 'mean',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if text_reduction not in ('mean', 'attention'):
            raise ValueError(f'text_reduction must be "mean" or "attention", got '
                             f'{text_reduction!r}')
        self.text_reduction = text_reduction
        self.v1 = nn.Conv3d(visual_channels, embed_dims, 1)  # W_v1
        self.s1 = nn.Linear(text_channels, embed_dims)  # W_s1
        self.f2 = nn.Conv3d(embed_dims, embed_dims, 1)  # W_f2
        self.v2 = nn.Conv3d(visual_channels, embed_dims, 1)  # W_v2
        self.act = build_activation_layer(act_cfg)
        self.out_proj = nn.Conv3d(2 * embed_dims, out_channels, 1) if out_channels else None
        self.out_channels = out_channels or 2 * embed_dims

    def forward(self, visual: torch.Tensor, text: torch.Tensor,
                text_mask: torch.Tensor) -> torch.Tensor:
        """Fuse.

        Args:
            visual (Tensor): (B, C, T, h, w) V.
            text (Tensor): (B, L, D) S.
            text_mask (Tensor): (B, L) bool, True = real word.

        Returns:
            Tensor: (B, D', T, h, w) F_f2.
        """
        gv1 = self.act(self.v1(visual))  # (B, E, T, h, w)
        s1 = self.s1(text)  # (B, L, E)
        if self.text_reduction == 'mean':
            w = text_mask[..., None].to(s1.dtype)
            sent = self.act((s1 * w).sum(1) / w.sum(1).clamp(min=1.0))  # (B, E)
            s_r = sent[:, :, None, None, None].expand_as(gv1)
        else:
            logits = torch.einsum('bethw,ble->bthwl', gv1, s1)
            logits = logits.masked_fill(~text_mask[:, None, None, None], float('-inf'))
            attn = logits.softmax(-1).nan_to_num(0.0)
            s_r = self.act(torch.einsum('bthwl,ble->bethw', attn, s1))
        f1 = gv1 * s_r
        f2 = torch.cat([self.act(self.f2(f1)), self.act(self.v2(visual))], dim=1)
        return f2 if self.out_proj is None else self.out_proj(f2)
