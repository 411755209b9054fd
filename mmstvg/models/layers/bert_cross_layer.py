"""A BERT-style cross-attention layer, as CG-STVG and TA-STVG use it (their ``BertLayer_Cross``).

The forks' ``models/bert_model/bert_module.py`` (after ClipBERT / HERO) builds a post-norm
layer: queries attend to keys/values, then a GELU feed-forward with a hidden size equal to
``embed_dims`` (``intermediate_size = 256`` in both forks)::

    A   = softmax(Q K^T / sqrt(d_head)) V,   Q = W_q q, K = W_k kv, V = W_v kv
    a   = LN(q + W_o A)
    out = LN(a + W_2 GELU(W_1 a))

(LayerNorm eps 1e-12, the erf GELU; dropout 0.1 after the attention probabilities and after
``W_o`` / ``W_2``). The forks also build a second, never used ``memory_intermediate`` linear;
it is not here (the converter drops it). ``forward`` returns the attention probabilities of
every head as well (before dropout): TA-STVG's spatial activation reads them.

Users: CG-STVG's instance-context attention in each spatial decoder layer (``ca2``), TA-STVG's
text-guided temporal sampling and attribute-guided spatial activation (two layers each).
"""
import math
from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmstvg.registry import MODELS


@MODELS.register_module()
class BertCrossLayer(BaseModule):
    """Queries attend to a key/value sequence, then a GELU FFN; post-norm residuals.

    Args:
        embed_dims (int): feature size C. Defaults to 256.
        num_heads (int): Defaults to 8.
        ffn_dims (int): hidden size of the FFN. Defaults to 256 (the forks').
        dropout (float): attention-probability and residual dropout. Defaults to 0.1.
        eps (float): LayerNorm epsilon. Defaults to 1e-12.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_heads: int = 8,
                 ffn_dims: int = 256,
                 dropout: float = 0.1,
                 eps: float = 1e-12,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        assert embed_dims % num_heads == 0
        self.num_heads = num_heads
        self.q_proj = nn.Linear(embed_dims, embed_dims)
        self.k_proj = nn.Linear(embed_dims, embed_dims)
        self.v_proj = nn.Linear(embed_dims, embed_dims)
        self.out_proj = nn.Linear(embed_dims, embed_dims)
        self.attn_norm = nn.LayerNorm(embed_dims, eps=eps)
        self.ffn_in = nn.Linear(embed_dims, ffn_dims)
        self.ffn_out = nn.Linear(ffn_dims, embed_dims)
        self.ffn_norm = nn.LayerNorm(embed_dims, eps=eps)
        self.dropout = nn.Dropout(dropout)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        n, length, c = x.shape
        return x.view(n, length, self.num_heads, c // self.num_heads).transpose(1, 2)

    def forward(self, query: torch.Tensor, kv: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Cross attention and FFN.

        Args:
            query (Tensor): (N, Lq, C).
            kv (Tensor): (N, L, C).

        Returns:
            tuple: the updated queries (N, Lq, C) and the attention probabilities
            (N, num_heads, Lq, L).
        """
        q, k, v = self._heads(self.q_proj(query)), self._heads(self.k_proj(kv)), \
            self._heads(self.v_proj(kv))
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
        probs = scores.softmax(dim=-1)
        attn = (self.dropout(probs) @ v).transpose(1, 2).flatten(2)
        x = self.attn_norm(query + self.dropout(self.out_proj(attn)))
        x = self.ffn_norm(x + self.dropout(self.ffn_out(F.gelu(self.ffn_in(x)))))
        return x, probs
