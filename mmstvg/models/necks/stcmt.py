"""STVGFormer's dynamic branch, the Space-Time Cross-Modal Transformer (STCMT, §1.2).

Clip-level features ``F_c`` ((B, T, c, h, w), from a 3-D CNN such as SlowFast, or loaded
precomputed) are projected from ``c`` to ``d`` by an FC layer, given a space-time sine
positional embedding (mmdet's 2-D sine encoding over (h, w) plus a 1-D one over t), and
processed with ``N`` :class:`~mmstvg.models.layers.STCMTLayer` together with the text tokens.
The grounder runs the layers one at a time (:meth:`forward_layer`), because the
static-dynamic interaction block follows every layer.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
from mmdet.models.layers import SinePositionalEncoding
from mmengine.model import BaseModule

from mmstvg.registry import MODELS
from ..layers import sine_encoding_1d
from ..utils import checkpoint_call


@MODELS.register_module()
class STCMT(BaseModule):
    """Space-time cross-modal transformer.

    Args:
        in_channels (int): ``c``, channels of the clip features.
        embed_dims (int): ``d``. Defaults to 256.
        num_layers (int): ``N``. Defaults to 6.
        layer_cfg (dict): config of each layer (``STCMTLayer``), ``embed_dims`` filled in.
        attn_impl (str, optional): attention kernel of every layer, 'naive' | 'sdpa' |
            'fused'; None keeps ``layer_cfg``'s (default 'sdpa').
        with_cp (bool): activation checkpointing of every layer. Defaults to False.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 embed_dims: int = 256,
                 num_layers: int = 6,
                 layer_cfg: dict = dict(
                     type='STCMTLayer', num_heads=8, feedforward_channels=2048, dropout=0.1),
                 attn_impl: Optional[str] = None,
                 with_cp: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if embed_dims % 4:
            raise ValueError(f'embed_dims must be a multiple of 4, got {embed_dims}')
        self.embed_dims = embed_dims
        self.with_cp = with_cp
        self.input_proj = nn.Linear(in_channels, embed_dims)
        layer_cfg = dict(layer_cfg, embed_dims=embed_dims)
        if attn_impl is not None:
            layer_cfg['attn_impl'] = attn_impl
        # the last layer's text output is never read: it skips the text stream
        self.layers = nn.ModuleList(
            MODELS.build(dict(layer_cfg, update_text=i < num_layers - 1))
            for i in range(num_layers))
        self.spatial_encoding = SinePositionalEncoding(num_feats=embed_dims // 2, normalize=True)

    @property
    def num_layers(self) -> int:
        return len(self.layers)

    def prepare(self,
                feats: torch.Tensor,
                spatial_mask: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, ...]:
        """Project clip features and build their positional embedding.

        Args:
            feats (Tensor): (B, T, c, h, w) clip features.
            spatial_mask (Tensor, optional): (B, h, w) bool, True = padded position.

        Returns:
            tuple: ``vis`` (B, T, HW, d), ``vis_pos`` (B, T, HW, d) and the flattened
            ``spatial_mask`` (B, HW) (or None).
        """
        b, t, c, h, w = feats.shape
        vis = self.input_proj(feats.permute(0, 1, 3, 4, 2).reshape(b, t, h * w, c))
        mask = spatial_mask if spatial_mask is not None else \
            feats.new_zeros((b, h, w), dtype=torch.bool)
        spatial = self.spatial_encoding(mask).flatten(2).transpose(1, 2)  # (B, HW, d)
        temporal = sine_encoding_1d(torch.arange(t, device=feats.device), self.embed_dims)
        pos = spatial[:, None] + temporal[None, :, None].to(spatial.dtype)
        flat_mask = None if spatial_mask is None else spatial_mask.flatten(1)
        return vis, pos, flat_mask

    def forward_layer(self, index: int, vis: torch.Tensor, text: torch.Tensor,
                      vis_pos: torch.Tensor, text_mask: torch.Tensor,
                      frame_mask: Optional[torch.Tensor],
                      spatial_mask: Optional[torch.Tensor]) -> Tuple[torch.Tensor, ...]:
        """Run layer ``index`` (see ``STCMTLayer.forward`` for the shapes)."""
        return checkpoint_call(
            self.layers[index],
            self.with_cp,
            vis,
            text,
            vis_pos=vis_pos,
            text_mask=text_mask,
            frame_mask=frame_mask,
            spatial_mask=spatial_mask)

    def forward(self,
                feats: torch.Tensor,
                text: torch.Tensor,
                text_mask: torch.Tensor,
                frame_mask: Optional[torch.Tensor] = None,
                spatial_mask: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, ...]:
        """Whole branch without interaction.

        Args:
            feats (Tensor): (B, T, c, h, w) clip features.
            text (Tensor): (B, L, d) text tokens.
            text_mask (Tensor): (B, L) bool, True = real token.
            frame_mask (Tensor, optional): (B, T) bool, True = real frame.
            spatial_mask (Tensor, optional): (B, h, w) bool, True = padding.

        Returns:
            tuple: ``vis`` (B, T, HW, d) and ``text`` (B, L, d).
        """
        vis, pos, flat_mask = self.prepare(feats, spatial_mask)
        for i in range(self.num_layers):
            vis, text = self.forward_layer(i, vis, text, pos, text_mask, frame_mask, flat_mask)
        return vis, text
