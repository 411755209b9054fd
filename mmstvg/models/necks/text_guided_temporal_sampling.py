"""TA-STVG's text-guided temporal sampling (``models/grounding_model/classifier.py``,
``TemporalSampling``): a relevance logit per frame from the frame's pooled feature attending to
the sentence.

In TA-STVG two of them run on the (detached) encoder output: one on the appearance tokens
(ResNet part), one on the motion tokens (VidSwin part); ``text`` is the encoded text tokens
averaged over frames. Per frame ``t``::

    g_t   = mean_{h,w} F[t]                        (global average pooling)
    g     = BertCrossLayer x 2 (g attends to the text tokens; the T frames are the queries)
    s_t   = BertPredictionHead(g_t)                 (one logit)

The pipeline keeps the frames with ``(sigmoid(s^a_t) + sigmoid(s^m_t)) / 2 > theta`` (0.7 on
HC-STVG, 0.45 on VidSTG) for the spatial activation and the query initialisation, and trains
both logits with BCE against the ground-truth segment (``logits_f_a`` / ``logits_f_m``).
The fork also creates ``class_embedding`` and ``positional_embedding`` parameters that it never
uses; they are not here (the converter drops them).
"""
import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from mmstvg.registry import MODELS
from ..layers.bert_cross_layer import BertCrossLayer
from ..layers.bert_prediction_head import BertPredictionHead


@MODELS.register_module()
class TextGuidedTemporalSampling(BaseModule):
    """Frame relevance logits from text-attended pooled frame features.

    Args:
        embed_dims (int): C. Defaults to 256.
        num_layers (int): cross layers. Defaults to 2.
        num_heads (int): Defaults to 8.
        dropout (float): Defaults to 0.1.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_layers: int = 2,
                 num_heads: int = 8,
                 dropout: float = 0.1,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.layers = nn.ModuleList(
            BertCrossLayer(embed_dims, num_heads, embed_dims, dropout) for _ in range(num_layers))
        self.head = BertPredictionHead(embed_dims, 1)

    def forward(self, feats: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        """Relevance logits.

        Args:
            feats (Tensor): (T, C, H, W) feature maps of one video.
            text (Tensor): (1, L, C) text tokens.

        Returns:
            Tensor: (T,) logits.
        """
        x = F.adaptive_avg_pool2d(feats, 1).flatten(1)[None]  # 1, T, C
        for layer in self.layers:
            x, _ = layer(x, text)
        return self.head(x)[0, :, 0]
