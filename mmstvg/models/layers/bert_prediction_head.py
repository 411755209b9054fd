"""BERT's masked-LM style prediction head, TA-STVG's classifier (``BertLMPredictionHead``).

``logits = W_d LN(GELU(W x)) + b`` (LayerNorm eps 1e-12, erf GELU, ``W_d`` with the separate
bias ``b``, here the decoder's own bias). TA-STVG uses it for its frame-relevance logits
(one output) and its attribute / action word logits (``vocab_size`` outputs).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmstvg.registry import MODELS


@MODELS.register_module()
class BertPredictionHead(BaseModule):
    """Dense + GELU + LayerNorm, then a linear classifier.

    Args:
        embed_dims (int): input size C.
        num_classes (int): outputs per token.
        eps (float): LayerNorm epsilon. Defaults to 1e-12.
    """

    def __init__(self,
                 embed_dims: int,
                 num_classes: int,
                 eps: float = 1e-12,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.dense = nn.Linear(embed_dims, embed_dims)
        self.norm = nn.LayerNorm(embed_dims, eps=eps)
        self.decoder = nn.Linear(embed_dims, num_classes)
        nn.init.zeros_(self.decoder.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., C) -> (..., num_classes)."""
        return self.decoder(self.norm(F.gelu(self.dense(x))))
