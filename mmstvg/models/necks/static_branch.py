"""STVGFormer's static branch (§1.1, Fig. 2a): MDETR's cross-modal transformer, per frame.

For every frame ``t`` the encoder runs ``N`` DETR encoder layers over the concatenation of
the frame's ``HW`` projected visual tokens and the sentence's ``L`` projected text tokens,
giving the cross-modal memory ``M_t`` ((HW + L) x d). ``N`` decoder layers then let one
learnable object query per frame read ``M_t``. The visual tokens carry mmdet's 2-D sine
positional encoding and the text tokens none (as MDETR); the decoder's input query is zero and
the learnable embedding is its positional part (MDETR's ``pass_pos_and_query``).

The decoder layers are run one at a time by the grounder (:meth:`decode_layer`), because the
static-dynamic interaction (§1.3) sits after each of them; each returns its cross-attention
map over the memory, which Eq. 2 needs. Module names follow mmdet's DETR layers, so an MDETR
checkpoint maps one to one (``tools/model_converters/mdetr2mmstvg.py``).
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
from mmdet.models.layers import SinePositionalEncoding
from mmengine.model import BaseModule

from mmstvg.ops import check_attn_impl
from mmstvg.registry import MODELS
from ..layers import AttnDetrTransformerDecoderLayer, FusibleDetrTransformerEncoderLayer
from ..utils import checkpoint_call


@MODELS.register_module()
class StaticBranch(BaseModule):
    """Per-frame cross-modal encoder-decoder (MDETR).

    Args:
        embed_dims (int): ``d``. Defaults to 256 (MDETR).
        num_encoder_layers (int): ``N`` encoder layers. Defaults to 6.
        num_decoder_layers (int): ``N`` decoder layers; 0: encoder only (no object query and
            no decoder norm either). Defaults to 6.
        num_heads (int): attention heads. Defaults to 8.
        feedforward_channels (int): FFN hidden size. Defaults to 2048.
        dropout (float): dropout in attention outputs and FFNs. Defaults to 0.1.
        attn_dropout (float): dropout on the attention weights (``nn.MultiheadAttention``'s
            ``dropout``; MDETR and TubeDETR use ``dropout`` there too). Defaults to 0.0.
        attn_impl (str): attention kernel of every layer, 'naive' | 'sdpa' | 'fused'
            (:mod:`mmstvg.ops`). Defaults to 'sdpa'.
        with_cp (bool): activation checkpointing of every encoder and decoder layer
            (recompute in backward: less memory, more compute). Defaults to False.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6,
                 num_heads: int = 8,
                 feedforward_channels: int = 2048,
                 dropout: float = 0.1,
                 attn_dropout: float = 0.0,
                 attn_impl: str = 'sdpa',
                 with_cp: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if embed_dims % 2:
            raise ValueError(f'embed_dims must be even, got {embed_dims}')
        self.embed_dims = embed_dims
        self.with_cp = with_cp
        attn = dict(
            embed_dims=embed_dims,
            num_heads=num_heads,
            attn_drop=attn_dropout,
            proj_drop=dropout,
            batch_first=True,
            attn_impl=check_attn_impl(attn_impl))
        ffn = dict(
            embed_dims=embed_dims,
            feedforward_channels=feedforward_channels,
            num_fcs=2,
            ffn_drop=dropout,
            act_cfg=dict(type='ReLU', inplace=True))
        self.encoder_layers = nn.ModuleList(
            FusibleDetrTransformerEncoderLayer(self_attn_cfg=dict(attn), ffn_cfg=dict(ffn))
            for _ in range(num_encoder_layers))
        self.decoder_layers = nn.ModuleList(
            AttnDetrTransformerDecoderLayer(
                self_attn_cfg=dict(attn), cross_attn_cfg=dict(attn), ffn_cfg=dict(ffn))
            for _ in range(num_decoder_layers))
        if num_decoder_layers > 0:
            self.decoder_norm = nn.LayerNorm(embed_dims)
            self.query_embed = nn.Embedding(1, embed_dims)
        self.positional_encoding = SinePositionalEncoding(
            num_feats=embed_dims // 2, normalize=True)

    @property
    def num_layers(self) -> int:
        return len(self.decoder_layers)

    def encode(self, vis: torch.Tensor, vis_mask: Optional[torch.Tensor], text: torch.Tensor,
               text_mask: torch.Tensor) -> dict:
        """Build the cross-modal memory of every frame.

        Args:
            vis (Tensor): (M, d, h, w) projected visual features of M = B*T frames.
            vis_mask (Tensor, optional): (M, h, w) bool, True = padded position.
            text (Tensor): (M, L, d) projected text tokens (the sentence of each frame).
            text_mask (Tensor): (M, L) bool, True = real token.

        Returns:
            dict: ``memory`` (M, HW + L, d), ``memory_pos`` (M, HW + L, d),
            ``memory_mask`` (M, HW + L) bool (True = padding), ``hw`` (h, w).
        """
        m, d, h, w = vis.shape
        if vis_mask is None:
            vis_mask = vis.new_zeros((m, h, w), dtype=torch.bool)
        pos = self.positional_encoding(vis_mask).flatten(2).transpose(1, 2)
        tokens = torch.cat([vis.flatten(2).transpose(1, 2), text], dim=1)
        memory_pos = torch.cat([pos, torch.zeros_like(text)], dim=1)
        memory_mask = torch.cat([vis_mask.flatten(1), ~text_mask.bool()], dim=1)
        for layer in self.encoder_layers:
            tokens = checkpoint_call(
                layer, self.with_cp, tokens, query_pos=memory_pos, key_padding_mask=memory_mask)
        return dict(memory=tokens, memory_pos=memory_pos, memory_mask=memory_mask, hw=(h, w))

    def init_query(self, num: int) -> Tuple[torch.Tensor, torch.Tensor]:
        """Zero object queries and their positional embedding, each (num, 1, d)."""
        if not self.num_layers:
            raise RuntimeError('this StaticBranch has no decoder (num_decoder_layers=0): use '
                               'encode() only')
        pos = self.query_embed.weight[None].expand(num, -1, -1)
        return torch.zeros_like(pos), pos

    def decode_layer(self, index: int, query: torch.Tensor, query_pos: torch.Tensor,
                     enc: dict) -> Tuple[torch.Tensor, torch.Tensor]:
        """Run decoder layer ``index``.

        Args:
            index (int): layer index.
            query (Tensor): (M, 1, d) object query of every frame.
            query_pos (Tensor): (M, 1, d) its positional embedding.
            enc (dict): output of :meth:`encode`.

        Returns:
            tuple: ``query`` (M, 1, d) and the cross-attention map over the frame's visual
            positions, ``attn`` (M, h, w) (each frame's weights over its HW + L memory
            entries sum to 1; the text part is dropped).
        """
        query, attn = checkpoint_call(
            self.decoder_layers[index],
            self.with_cp,
            query,
            key=enc['memory'],
            query_pos=query_pos,
            key_pos=enc['memory_pos'],
            key_padding_mask=enc['memory_mask'])
        h, w = enc['hw']
        return query, attn[:, 0, :h * w].reshape(-1, h, w)

    def forward(self, vis: torch.Tensor, vis_mask: Optional[torch.Tensor], text: torch.Tensor,
                text_mask: torch.Tensor) -> torch.Tensor:
        """Whole branch without interaction (encoder, all decoder layers, final norm).

        Args: see :meth:`encode`.

        Returns:
            Tensor: (M, d) object query of every frame.
        """
        enc = self.encode(vis, vis_mask, text, text_mask)
        query, query_pos = self.init_query(vis.shape[0])
        for i in range(self.num_layers):
            query, _ = self.decode_layer(i, query, query_pos, enc)
        return self.decoder_norm(query)[:, 0]
