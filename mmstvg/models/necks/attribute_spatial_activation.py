"""TA-STVG's attribute-aware spatial activation (``models/grounding_model/classifier.py``,
``SpatialActivation``): a text-initialised query attends to each selected frame's tokens; its
attention map weights the tokens into the decoder's initial query, and its classifier predicts
the target's attribute (appearance) or action (motion) words.

For the ``K`` frames chosen by the temporal sampling, with ``q_0`` the first encoded text token
(TA-STVG prepends the annotated subject to the sentence)::

    q      = BertCrossLayer x 2 (q attends to the HW tokens of each frame; q_0 repeated K times)
    A      = minmax_per_frame(sigmoid(sum over heads of the last layer's attention))   (K, HW)
    logits = mean_k BertPredictionHead(q_k)                                            (1, V)

TA-STVG builds one on the appearance tokens (``V`` = APP_NUM attribute words: 15 on HC-STVG,
20 on VidSTG) and one on the motion tokens (``V`` = MOT_NUM action words: 60 / 34), trained with
multi-label BCE (``logits_r_a`` / ``logits_r_m``). The initial query of the spatial (temporal)
decoder is ``mean_{k, hw} A * F[k, hw]`` over the appearance (motion) tokens of the selected
frames (:meth:`initial_query`). A single selected frame with a constant map gives 0/0 (NaN),
as in the fork. Unused ``class_embedding`` / ``positional_embedding`` of the fork are not here.
"""
from typing import Tuple

import torch
from mmengine.model import BaseModule
from torch import nn

from mmstvg.registry import MODELS
from ..layers.bert_cross_layer import BertCrossLayer
from ..layers.bert_prediction_head import BertPredictionHead


@MODELS.register_module()
class AttributeSpatialActivation(BaseModule):
    """Text-query attention maps over frames and attribute logits.

    Args:
        num_classes (int): attribute / action words V.
        embed_dims (int): C. Defaults to 256.
        num_layers (int): Defaults to 2.
        num_heads (int): Defaults to 8.
        dropout (float): Defaults to 0.1.
    """

    def __init__(self,
                 num_classes: int,
                 embed_dims: int = 256,
                 num_layers: int = 2,
                 num_heads: int = 8,
                 dropout: float = 0.1,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.layers = nn.ModuleList(
            BertCrossLayer(embed_dims, num_heads, embed_dims, dropout) for _ in range(num_layers))
        self.head = BertPredictionHead(embed_dims, num_classes)

    def forward(self,
                feats: torch.Tensor,
                init_query: torch.Tensor = None) -> Tuple[torch.Tensor, torch.Tensor]:
        """Attribute logits and activation maps.

        Args:
            feats (Tensor): (K, C, H, W) feature maps of the selected frames.
            init_query (Tensor, optional): (1, 1, C) initial query (zeros if None).

        Returns:
            tuple: logits (1, V) and activation maps (K, H*W) in [0, 1].
        """
        x = feats.flatten(2).transpose(1, 2)  # K, HW, C
        if init_query is None:
            q = x.new_zeros(x.shape[0], 1, x.shape[2])
        else:
            q = init_query.reshape(1, 1, -1).expand(x.shape[0], 1, -1)
        probs = None
        for layer in self.layers:
            q, probs = layer(q, x)
        act = probs.sum(1)[:, 0].sigmoid()
        low, high = act.min(dim=1, keepdim=True)[0], act.max(dim=1, keepdim=True)[0]
        act = (act - low) / (high - low)
        return self.head(q).mean(0), act

    @staticmethod
    def initial_query(tokens: torch.Tensor, activation: torch.Tensor) -> torch.Tensor:
        """Decoder's initial query from the selected frames' tokens.

        Args:
            tokens (Tensor): (K, HW, C) tokens of the selected frames.
            activation (Tensor): (K, HW) maps of :meth:`forward`.

        Returns:
            Tensor: (C,).
        """
        return (tokens * activation[..., None]).mean((0, 1))
