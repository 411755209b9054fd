"""A ``transformers`` text encoder (RoBERTa / BERT / any ``AutoModel``).

STVGFormer (Sec. 3.1) and the TubeDETR family encode the sentence with RoBERTa; mmdet's
``BertModel`` only loads by hub name and calls ``batch_encode_plus`` (removed in
transformers 5), so mmstvg wraps ``transformers`` directly. A config gives either a local
``pretrained`` path (``save_pretrained`` output) or ``config=dict(model_type=..., ...)`` for a
randomly initialised model; nothing is ever fetched from a hub. With ``proj_norm=True`` the
FC embedding is followed by a LayerNorm, as MDETR's ``FeatureResizer`` (FC + LayerNorm,
eps 1e-12), so that an MDETR checkpoint initialises both (STVGFormer §2.1); ``proj_dropout``
is the dropout that ``FeatureResizer`` applies last (0.1 in MDETR and TubeDETR).
"""
from typing import Dict, Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmstvg.registry import MODELS


@MODELS.register_module()
class HFTextEncoder(BaseModule):
    """Encode token ids with a ``transformers`` model.

    Args:
        pretrained (str, optional): local directory written by ``save_pretrained``.
        config (dict, optional): ``transformers.AutoConfig.for_model`` kwargs (must contain
            ``model_type``) for a randomly initialised model. Exactly one of ``pretrained``
            and ``config`` must be given.
        out_channels (int, optional): if set, project the hidden states to this size.
        proj_norm (bool): apply ``nn.LayerNorm(out_channels, eps=1e-12)`` after the
            projection (MDETR's ``FeatureResizer``; needs ``out_channels``). Defaults to
            False (no extra parameters).
        proj_dropout (float): dropout on the projected tokens (after the LayerNorm, as
            MDETR's ``FeatureResizer``). Defaults to 0.0 (none).
        pooling (str): sentence feature: ``'cls'`` (first token) or ``'mean'`` (masked mean).
        freeze (bool): freeze the transformer weights (the projection and its norm still
            train).
        gradient_checkpointing (bool): activation checkpointing of the transformer layers
            (transformers' ``gradient_checkpointing_enable``). Defaults to False.
        init_cfg (dict, optional): initialisation config of the projection.
    """

    def __init__(self,
                 pretrained: Optional[str] = None,
                 config: Optional[dict] = None,
                 out_channels: Optional[int] = None,
                 proj_norm: bool = False,
                 proj_dropout: float = 0.0,
                 pooling: str = 'mean',
                 freeze: bool = False,
                 gradient_checkpointing: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        from transformers import AutoConfig, AutoModel
        if (pretrained is None) == (config is None):
            raise ValueError('HFTextEncoder needs exactly one of `pretrained` (a local '
                             'save_pretrained directory) or `config` (random init).')
        if pooling not in ('cls', 'mean'):
            raise ValueError(f'pooling must be "cls" or "mean", got {pooling!r}')
        if proj_norm and not out_channels:
            raise ValueError('proj_norm=True needs `out_channels` (the LayerNorm follows the '
                             'projection, as in MDETR\'s FeatureResizer).')
        if pretrained is not None:
            self.model = AutoModel.from_pretrained(pretrained, local_files_only=True)
        else:
            cfg = dict(config)
            model_type = cfg.pop('model_type')
            self.model = AutoModel.from_config(AutoConfig.for_model(model_type, **cfg))
        # The pooler (BERT/RoBERTa's tanh layer on the first token) is never used here: drop it,
        # so that no parameter goes without a gradient (DDP would fail on unused parameters).
        if getattr(self.model, 'pooler', None) is not None:
            self.model.pooler = None
        hidden = self.model.config.hidden_size
        self.pooling = pooling
        self.freeze = freeze
        self.proj = nn.Linear(hidden, out_channels) if out_channels else nn.Identity()
        self.proj_norm = nn.LayerNorm(out_channels, eps=1e-12) if proj_norm else nn.Identity()
        self.proj_dropout = nn.Dropout(proj_dropout) if proj_dropout > 0 else nn.Identity()
        self.out_channels = out_channels or hidden
        if gradient_checkpointing:  # transformers' activation checkpointing of its layers
            self.model.gradient_checkpointing_enable(
                gradient_checkpointing_kwargs=dict(use_reentrant=False))
        if freeze:
            self.model.eval()
            for p in self.model.parameters():
                p.requires_grad = False

    def train(self, mode: bool = True):
        super().train(mode)
        if self.freeze:
            self.model.eval()
        return self

    def forward(self, input_ids: torch.Tensor,
                attention_mask: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Encode a batch of token ids.

        Args:
            input_ids (Tensor): (B, L) token ids.
            attention_mask (Tensor): (B, L) 1 for real tokens, 0 for padding.

        Returns:
            dict: ``tokens`` (B, L, C), ``mask`` (B, L) bool (True = real token),
            ``sentence`` (B, C) pooled feature.
        """
        out = self.model(input_ids=input_ids, attention_mask=attention_mask)
        tokens = self.proj_dropout(self.proj_norm(self.proj(out.last_hidden_state)))
        mask = attention_mask.bool()
        if self.pooling == 'cls':
            sentence = tokens[:, 0]
        else:
            w = mask.unsqueeze(-1).to(tokens.dtype)
            sentence = (tokens * w).sum(1) / w.sum(1).clamp(min=1.0)
        return dict(tokens=tokens, mask=mask, sentence=sentence)
