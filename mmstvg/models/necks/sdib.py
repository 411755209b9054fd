"""Static-Dynamic Interaction Block (STVGFormer §1.3, Fig. 3, Eq. 2).

Placed after the i-th static decoder layer and the i-th STCMT layer:

- static-to-dynamic (Eq. 2): ``F~_v = LayerNorm(F_v + A ⊙ FC(F_v))``, with ``A`` (T x HW) the
  static decoder layer's cross-attention weights of each frame's object query over that
  frame's visual positions, replicated over the channels. When the two branches' feature
  maps differ in size (ResNet C5 vs SlowFast), ``A`` is bilinearly resampled to the dynamic
  map's (h, w) — the paper uses equal sizes and does not say.
- dynamic-to-static: the object query ``O_t`` attends to ``F_v[t]`` (its frame's dynamic
  features, with their positional embedding), then the queries of all frames are mixed by a
  temporal self-attention (1-D sine encoding over t, padded frames masked). Both residual +
  LayerNorm, post-norm as the rest of the model.

Each direction can be switched off from the config (Table 1's ablations); a switched-off
direction builds no parameters and passes its input through unchanged.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmstvg.ops import check_attn_impl
from mmstvg.registry import MODELS
from ..layers import FusibleMultiheadAttention, safe_key_padding_mask, sine_encoding_1d


@MODELS.register_module()
class SDIB(BaseModule):
    """Static-dynamic interaction block.

    Args:
        embed_dims (int): ``d`` (both branches).
        num_heads (int): heads of the dynamic-to-static attentions. Defaults to 8.
        dropout (float): dropout of the attention outputs. Defaults to 0.1.
        static_to_dynamic (bool): enable Eq. 2. Defaults to True.
        dynamic_to_static (bool): enable the query enhancement. Defaults to True.
        attn_impl (str): attention kernel, 'naive' | 'sdpa' | 'fused'. Defaults to 'sdpa'.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_heads: int = 8,
                 dropout: float = 0.1,
                 static_to_dynamic: bool = True,
                 dynamic_to_static: bool = True,
                 attn_impl: str = 'sdpa',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = embed_dims
        self.static_to_dynamic = static_to_dynamic
        self.dynamic_to_static = dynamic_to_static
        if static_to_dynamic:
            self.s2d_fc = nn.Linear(embed_dims, embed_dims)
            self.s2d_norm = nn.LayerNorm(embed_dims)
        if dynamic_to_static:
            self.d2s_cross_attn = FusibleMultiheadAttention(
                embed_dims,
                num_heads,
                proj_drop=dropout,
                batch_first=True,
                attn_impl=check_attn_impl(attn_impl))
            self.d2s_cross_norm = nn.LayerNorm(embed_dims)
            self.d2s_temporal_attn = FusibleMultiheadAttention(
                embed_dims, num_heads, proj_drop=dropout, batch_first=True, attn_impl=attn_impl)
            self.d2s_temporal_norm = nn.LayerNorm(embed_dims)

    def static_to_dynamic_forward(self, vis: torch.Tensor, attn: torch.Tensor,
                                  dyn_hw: Tuple[int, int]) -> torch.Tensor:
        """Eq. 2.

        Args:
            vis (Tensor): (B, T, HW, d) dynamic features ``F_v^i``.
            attn (Tensor): (B, T, h_s, w_s) static cross-attention maps ``A^i``.
            dyn_hw (tuple): (h, w) of the dynamic map (h * w == HW).

        Returns:
            Tensor: (B, T, HW, d).
        """
        b, t, hw, _ = vis.shape
        if tuple(attn.shape[-2:]) != tuple(dyn_hw):
            attn = F.interpolate(
                attn.flatten(0, 1)[:, None],
                size=tuple(dyn_hw),
                mode='bilinear',
                align_corners=False)
        a = attn.reshape(b, t, hw, 1).to(vis.dtype)
        return self.s2d_norm(vis + a * self.s2d_fc(vis))

    def dynamic_to_static_forward(self, query: torch.Tensor, vis: torch.Tensor,
                                  vis_pos: Optional[torch.Tensor],
                                  frame_mask: Optional[torch.Tensor],
                                  spatial_mask: Optional[torch.Tensor]) -> torch.Tensor:
        """Query enhancement.

        Args:
            query (Tensor): (B, T, d) object queries ``O_t^i``.
            vis (Tensor): (B, T, HW, d) dynamic features ``F_v^i``.
            vis_pos (Tensor, optional): (B, T, HW, d) their positional embedding.
            frame_mask (Tensor, optional): (B, T) bool, True = real frame.
            spatial_mask (Tensor, optional): (B, HW) bool, True = padded position.

        Returns:
            Tensor: (B, T, d).
        """
        b, t, hw, d = vis.shape
        q = query.reshape(b * t, 1, d)
        key = vis.reshape(b * t, hw, d)
        key_pos = None if vis_pos is None else vis_pos.reshape(b * t, hw, d)
        kpm = None if spatial_mask is None else \
            safe_key_padding_mask(spatial_mask.repeat_interleave(t, dim=0))
        q = self.d2s_cross_norm(
            self.d2s_cross_attn(q, key=key, value=key, key_pos=key_pos, key_padding_mask=kpm))
        q = q.view(b, t, d)
        time_pos = sine_encoding_1d(torch.arange(t, device=q.device), d).to(q.dtype)
        time_pos = time_pos[None].expand(b, -1, -1)
        kpm = None if frame_mask is None else safe_key_padding_mask(~frame_mask)
        return self.d2s_temporal_norm(
            self.d2s_temporal_attn(q, query_pos=time_pos, key_pos=time_pos, key_padding_mask=kpm))

    def forward(self,
                vis: torch.Tensor,
                query: torch.Tensor,
                attn: torch.Tensor,
                dyn_hw: Tuple[int, int],
                vis_pos: Optional[torch.Tensor] = None,
                frame_mask: Optional[torch.Tensor] = None,
                spatial_mask: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        """Exchange information between the branches (both directions read the inputs).

        Args:
            vis (Tensor): (B, T, HW, d) dynamic features.
            query (Tensor): (B, T, d) static object queries.
            attn (Tensor): (B, T, h_s, w_s) static cross-attention maps.
            dyn_hw (tuple): (h, w) of the dynamic map.
            vis_pos, frame_mask, spatial_mask: see :meth:`dynamic_to_static_forward`.

        Returns:
            tuple: new ``vis`` (B, T, HW, d) and ``query`` (B, T, d).
        """
        new_vis, new_query = vis, query
        if self.static_to_dynamic:
            new_vis = self.static_to_dynamic_forward(vis, attn, dyn_hw)
        if self.dynamic_to_static:
            new_query = self.dynamic_to_static_forward(query, vis, vis_pos, frame_mask,
                                                       spatial_mask)
        return new_vis, new_query
