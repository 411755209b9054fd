"""One layer of the Space-Time Cross-Modal Transformer (STVGFormer §1.2, Fig. 2b, Eq. 1).

Per layer:

1. intra-modality self-attention. Visual features ``(B, T, HW, C)`` use TimeSformer's
   divided space-time attention: temporal attention at every spatial position over the ``T``
   frames, then spatial attention inside every frame over its ``HW`` positions. Text
   ``(B, L, C)`` uses plain self-attention.
2. cross-attention of Eq. 1, from the two self-attended features ``F_v``, ``F_l``:
   every visual position ``(h, w)`` queries the text (``Q_v^{(h,w)} = W_qv F_v^{(h,w)}``
   against ``K_l, V_l``), and the text queries the spatially mean-pooled video
   ``\\bar F_v`` (``(B, T, C)``). Both are residual (``F + Attention(...)``).
3. an FFN on each modality.

Every sub-layer is post-norm (``x = LN(x + f(x))``) as the static branch's DETR layers; the
positional embeddings are added to queries and keys of the visual self-attentions.
Attention blocks are :class:`FusibleMultiheadAttention` (mmcv's, residual included, with a
selectable kernel) and mmcv's ``FFN``.

With ``attn_impl='fused'`` the text-to-video attention never materialises the pooled video's
keys and values: projection commutes with the spatial mean (``W pool(F) + b = pool(W F + b)``)
and a per-query constant ``Q_h . b_k`` does not change a softmax, so each head's query is
mapped into the visual feature space (``q' = Q_h W_k^h``), the Triton kernel
(:func:`mmstvg.ops.pooled_attention`) pools every frame while streaming it and returns
``sum_t p_t pool(F_v[t])``, and ``W_v^h``, ``b_v^h`` are applied afterwards (the weights sum
to one). The result equals the pool-then-attend path up to rounding.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
from mmcv.cnn.bricks.transformer import FFN
from mmengine.model import BaseModule

from mmstvg.ops import check_attn_impl, fused_available, pooled_attention
from mmstvg.registry import MODELS
from .fusible_attention import FusibleMultiheadAttention, project_heads
from .positional_encoding import safe_key_padding_mask


@MODELS.register_module()
class STCMTLayer(BaseModule):
    """Space-time cross-modal transformer layer.

    Args:
        embed_dims (int): channels ``d``.
        num_heads (int): attention heads. Defaults to 8.
        feedforward_channels (int): FFN hidden size. Defaults to 2048.
        dropout (float): dropout of attention outputs and FFNs. Defaults to 0.1.
        attn_impl (str): attention kernel, 'naive' | 'sdpa' | 'fused'. Defaults to 'sdpa'.
        update_text (bool): compute the text stream's output (text-to-video attention and
            text FFN). The last layer of the STCMT sets False: nothing reads its text output,
            and parameters without gradients would force DDP's ``find_unused_parameters``.
            The text input is then returned unchanged. Defaults to True.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_heads: int = 8,
                 feedforward_channels: int = 2048,
                 dropout: float = 0.1,
                 attn_impl: str = 'sdpa',
                 update_text: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = embed_dims
        self.attn_impl = check_attn_impl(attn_impl)
        self.update_text = update_text

        def attn():
            return FusibleMultiheadAttention(
                embed_dims, num_heads, proj_drop=dropout, batch_first=True, attn_impl=attn_impl)

        def ffn():
            return FFN(
                embed_dims=embed_dims, feedforward_channels=feedforward_channels, ffn_drop=dropout)

        self.temporal_attn = attn()
        self.spatial_attn = attn()
        self.text_self_attn = attn()
        self.vis_to_text_attn = attn()  # Q_v^{(h,w)} -> (K_l, V_l)
        self.vis_ffn = ffn()
        if update_text:
            self.text_to_vis_attn = attn()  # Q_l -> (K_v, V_v) of the pooled video
            self.text_ffn = ffn()
        # norms: temporal, spatial, text self, vis<-text, text<-vis, vis FFN, text FFN
        self.norms = nn.ModuleList(
            nn.LayerNorm(embed_dims) if update_text or i not in (4, 6) else nn.Identity()
            for i in range(7))

    @staticmethod
    def spatial_mean(vis: torch.Tensor, spatial_mask: Optional[torch.Tensor]) -> torch.Tensor:
        """(B, T, HW, C) -> (B, T, C), mean over the unpadded positions (``spatial_mask``
        (B, HW) bool, True = padding)."""
        if spatial_mask is None:
            return vis.mean(2)
        w = (~spatial_mask).to(vis.dtype)[:, None, :, None]
        return (vis * w).sum(2) / w.sum(2).clamp(min=1.0)

    def pooled_text_to_vis(self, f_l: torch.Tensor, f_v: torch.Tensor,
                           spatial_mask: Optional[torch.Tensor],
                           frame_kpm: Optional[torch.Tensor]) -> torch.Tensor:
        """Text-to-video cross-attention over the pooled video, pooling fused into the
        attention kernel (see the module docstring); residual included.

        Args:
            f_l (Tensor): (B, L, C) text features (queries).
            f_v (Tensor): (B, T, HW, C) visual features.
            spatial_mask (Tensor, optional): (B, HW) bool, True = padded position.
            frame_kpm (Tensor, optional): (B, T) bool, True = padded frame.

        Returns:
            Tensor: (B, L, C).
        """
        mod = self.text_to_vis_attn
        mha = mod.attn
        c, h = mha.embed_dim, mha.num_heads
        d = c // h
        q = project_heads(mha, f_l, 0)  # (B, H, L, D)
        w_k = mha.in_proj_weight[c:2 * c].view(h, d, c)
        w_v = mha.in_proj_weight[2 * c:].view(h, d, c)
        q_feat = torch.einsum('bhld,hdc->bhlc', q, w_k)  # q' = Q_h W_k^h
        pooled = pooled_attention(
            q_feat, f_v, spatial_mask, frame_kpm, scale=d**-0.5, impl='fused')  # (B, H, L, C)
        out = torch.einsum('bhlc,hdc->bhld', pooled, w_v)
        if mha.in_proj_bias is not None:
            out = out + mha.in_proj_bias[2 * c:].view(1, h, 1, d)
        b, _, n, _ = out.shape
        out = mha.out_proj(out.transpose(1, 2).reshape(b, n, c))
        return f_l + mod.dropout_layer(mod.proj_drop(out))

    def forward(self,
                vis: torch.Tensor,
                text: torch.Tensor,
                vis_pos: Optional[torch.Tensor] = None,
                text_mask: Optional[torch.Tensor] = None,
                frame_mask: Optional[torch.Tensor] = None,
                spatial_mask: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        """Forward.

        Args:
            vis (Tensor): (B, T, HW, C) visual features.
            text (Tensor): (B, L, C) text features.
            vis_pos (Tensor, optional): (B, T, HW, C) space-time positional embedding.
            text_mask (Tensor, optional): (B, L) bool, True = real token.
            frame_mask (Tensor, optional): (B, T) bool, True = real frame.
            spatial_mask (Tensor, optional): (B, HW) bool, True = padded position.

        Returns:
            tuple: visual (B, T, HW, C) and text (B, L, C) features.
        """
        b, t, hw, c = vis.shape
        # 1a. temporal attention at every (h, w): (B * HW, T, C)
        x = vis.transpose(1, 2).reshape(b * hw, t, c)
        pos = None if vis_pos is None else vis_pos.transpose(1, 2).reshape(b * hw, t, c)
        kpm = None if frame_mask is None else \
            (~frame_mask).repeat_interleave(hw, dim=0)
        x = self.norms[0](
            self.temporal_attn(
                x, query_pos=pos, key_pos=pos, key_padding_mask=safe_key_padding_mask(kpm)))
        x = x.view(b, hw, t, c).transpose(1, 2)
        # 1b. spatial attention inside every frame: (B * T, HW, C)
        x = x.reshape(b * t, hw, c)
        pos = None if vis_pos is None else vis_pos.reshape(b * t, hw, c)
        kpm = None if spatial_mask is None else spatial_mask.repeat_interleave(t, dim=0)
        x = self.norms[1](
            self.spatial_attn(
                x, query_pos=pos, key_pos=pos, key_padding_mask=safe_key_padding_mask(kpm)))
        f_v = x.view(b, t, hw, c)
        # 1c. text self-attention
        text_kpm = None if text_mask is None else safe_key_padding_mask(~text_mask)
        f_l = self.norms[2](self.text_self_attn(text, key_padding_mask=text_kpm))
        # 2. cross-attention (Eq. 1): both directions read the self-attended F_v, F_l
        vis_out = self.vis_to_text_attn(
            f_v.reshape(b, t * hw, c), key=f_l, value=f_l, key_padding_mask=text_kpm)
        vis_out = self.norms[3](vis_out).view(b, t, hw, c)
        vis_out = self.norms[5](self.vis_ffn(vis_out))
        if not self.update_text:
            return vis_out, text
        frame_kpm = None if frame_mask is None else safe_key_padding_mask(~frame_mask)
        if self.attn_impl == 'fused' and fused_available(f_v) and \
                not (self.training and self.text_to_vis_attn.attn.dropout > 0):
            text_out = self.pooled_text_to_vis(f_l, f_v, spatial_mask, frame_kpm)
        else:
            pooled = self.spatial_mean(f_v, spatial_mask)
            text_out = self.text_to_vis_attn(
                f_l, key=pooled, value=pooled, key_padding_mask=frame_kpm)
        text_out = self.norms[4](text_out)
        # 3. FFN (the visual one ran above)
        text_out = self.norms[6](self.text_ffn(text_out))
        return vis_out, text_out
