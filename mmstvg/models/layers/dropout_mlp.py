"""The MLP of the STCAT family (``models/net_utils.py: MLP``): ReLU between linear layers and
dropout after **every** layer, the last one included (the forks' rule; mmdet's ``MLP`` has no
dropout). Parameter names ``layers.{i}`` as in the forks and in mmdet's ``MLP``.
"""
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmstvg.registry import MODELS


@MODELS.register_module()
class DropoutMLP(BaseModule):
    """``num_layers`` linear layers ``in -> hidden ... -> out``.

    Args:
        in_dims (int), hidden_dims (int), out_dims (int), num_layers (int).
        dropout (float): after every layer (0: none). Defaults to 0.
    """

    def __init__(self,
                 in_dims: int,
                 hidden_dims: int,
                 out_dims: int,
                 num_layers: int,
                 dropout: float = 0.,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        dims: Sequence[int] = [in_dims] + [hidden_dims] * (num_layers - 1) + [out_dims]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.dropout = nn.Dropout(dropout) if dropout else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., in_dims) -> (..., out_dims)."""
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = F.relu(x)
            x = self.dropout(x)
        return x
