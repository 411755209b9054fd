"""STCAT's temporal head (Jin et al., NeurIPS 2022, §3.4): on every frame query of the
temporal decoder, a 2-layer MLP predicts start and end logits (as TubeDETR's
:class:`~mmstvg.models.heads.StartEndHead`, trained with the KL divergence to Gaussian targets,
``sigma = 2``, weight 10) and a second 2-layer MLP the frame's *actionness* logit, trained with
a binary cross-entropy whose frames outside the GT span weigh ``neg_weight`` (the released
``EOS_COEF``: 0.3) and inside 1, zero on padded frames, averaged over every (video, frame)
entry of the batch (weight 2). Dropout (0.3) follows every MLP layer, the last included (the
released ``MLP(..., dropout=0.3)``). Inference decodes the span from the start/end logits
alone (the released post-processor; the actionness is a training signal).
"""
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmstvg.registry import MODELS
from .start_end_head import StartEndHead


@MODELS.register_module()
class ActionnessStartEndHead(StartEndHead):
    """Start/end logits and actionness per frame (module docstring).

    Reads ``feats[in_key]`` (B, T, C): the temporal decoder's queries (``'seq'`` by default).

    Args:
        in_channels (int): C.
        hidden_dims (int): MLP width (256).
        num_layers (int): depth of both MLPs (2).
        dropout (float): dropout after every MLP layer (0.3).
        loss_sted (dict): the start/end loss (``StartEndKLLoss``, sigma 2, weight 10).
        with_actionness (bool): build the actionness MLP and its loss. Defaults to True.
        loss_actionness_weight (float): its weight (``ACTIONESS_COEF``: 2).
        neg_weight (float): BCE weight of the frames outside the GT span (``EOS_COEF``: 0.3).
        in_key (str, optional): the features read; ``'seq'`` by default.
        init_cfg (dict, optional): initialisation config.
    """
    default_in_key = 'seq'

    def __init__(self,
                 in_channels: int,
                 hidden_dims: int = 256,
                 num_layers: int = 2,
                 dropout: float = 0.3,
                 loss_sted: dict = dict(type='StartEndKLLoss', sigma=2.0, loss_weight=10.0),
                 with_actionness: bool = True,
                 loss_actionness_weight: float = 2.0,
                 neg_weight: float = 0.3,
                 in_key: Optional[str] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            in_channels,
            hidden_dims=hidden_dims,
            num_layers=num_layers,
            dropout=dropout,
            loss_sted=loss_sted,
            in_key=in_key,
            init_cfg=init_cfg)
        self.actionness = None
        if with_actionness:
            dims = [in_channels] + [hidden_dims] * (num_layers - 1) + [1]
            self.actionness = nn.ModuleList(nn.Linear(i, o) for i, o in zip(dims[:-1], dims[1:]))
        self.loss_actionness_weight = loss_actionness_weight
        self.neg_weight = neg_weight

    def _mlp(self, layers: nn.ModuleList, x: torch.Tensor) -> torch.Tensor:
        for i, layer in enumerate(layers):
            x = layer(x)
            if i < len(layers) - 1:
                x = F.relu(x)
            x = self.dropout(x)
        return x

    def forward(self, feats: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Returns ``sted_logits`` (B, T, 2) and ``actionness_logits`` (B, T) (with
        ``with_actionness``)."""
        x = self.get_input(feats)
        out = dict(sted_logits=self._mlp(self.layers, x))
        if self.actionness is not None:
            out['actionness_logits'] = self._mlp(self.actionness, x)[..., 0]
        return out

    def loss_by_feat(self, outs: Dict[str, torch.Tensor],
                     targets: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """``loss_sted`` and ``loss_actionness`` (module docstring); ``targets``: ``in_span``
        and ``frame_mask`` (B, T) bool."""
        losses = super().loss_by_feat(outs, targets)
        if self.actionness is not None:
            logits = outs['actionness_logits']
            in_span = targets['in_span'].to(logits.dtype)
            weight = torch.where(targets['in_span'].bool(), torch.ones_like(logits),
                                 torch.full_like(logits, self.neg_weight))
            loss = F.binary_cross_entropy_with_logits(
                logits, in_span, weight=weight, reduction='none')
            loss = loss * targets['frame_mask'].to(loss.dtype)
            losses['loss_actionness'] = self.loss_actionness_weight * loss.mean()
        return losses
