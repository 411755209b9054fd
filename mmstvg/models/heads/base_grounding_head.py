"""What every spatial and temporal head of mmstvg shares: the input contract.

As mmdet's ``BaseDenseHead`` and mmaction2's ``BaseHead``, a head splits into ``forward``
(network), ``loss_by_feat`` (losses from the forward outputs and the targets) and
``predict_by_feat`` (decoding), with ``loss`` / ``predict`` built on them. A grounder never
looks at which head it holds: it fills one dict of features and passes it to both heads,
each head reads the entry it needs (``in_key``, settable in the config).

Features (``feats``, built by every grounder's ``extract_feat``; a grounder may lack an entry,
and a head that needs it then stops with an error naming the entry and the ones it has; it
may add entries of its own, such as per-layer queries or attention maps, read by its
``extra_losses`` or by a head made for it):

- ``frame_mask`` (B, T) bool: real (not padded) steps. Always present.
- ``maps`` (B, C, T, h, w): per-frame fused (vision + language) feature maps.
- ``seq`` (B, T, C): per-step fused sequence (the maps pooled over space, or a grounder's
  per-frame features).
- ``queries`` (B, T, C): per-frame target query (a decoder's object query, or a grounder's
  per-frame target feature).
- ``ref_centers`` (B, T, 2), optional: normalised reference centres of the boxes.

Targets (``targets``, :meth:`~mmstvg.models.grounders.BaseGrounder.get_targets`):

- ``gt_boxes`` (B, T, 4): GT boxes, normalised xyxy (read only where ``in_span``).
- ``in_span`` (B, T) bool: step inside the GT span (and real).
- ``frame_mask`` (B, T) bool: real steps.
"""
from abc import ABCMeta, abstractmethod
from typing import Dict, Optional

import torch
from mmengine.model import BaseModule

FEATURE_KEYS = ('maps', 'seq', 'queries')


class BaseGroundingHead(BaseModule, metaclass=ABCMeta):
    """Common base of :class:`BaseSpatialHead` and :class:`BaseTemporalHead`.

    Args:
        in_key (str, optional): the feature the head reads (one of ``maps``, ``seq``,
            ``queries``); None: the head's ``default_in_key``.
        init_cfg (dict, optional): initialisation config.
    """

    default_in_key = 'seq'

    def __init__(self, in_key: Optional[str] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        in_key = in_key or self.default_in_key
        if in_key not in FEATURE_KEYS:
            raise ValueError(f'{type(self).__name__}: in_key must be one of {FEATURE_KEYS}, '
                             f'got {in_key!r}')
        self.in_key = in_key

    def get_input(self, feats: Dict[str, torch.Tensor]) -> torch.Tensor:
        """The feature this head reads (``feats[self.in_key]``), with a clear error when the
        grounder does not provide it."""
        value = feats.get(self.in_key)
        if value is None:
            have = sorted(k for k, v in feats.items() if v is not None and k in FEATURE_KEYS)
            raise KeyError(f'{type(self).__name__} reads the features {self.in_key!r}, which '
                           f'this grounder does not provide (it has {have}); set the head\'s '
                           '`in_key` to one of those in the config if the head accepts them')
        return value

    @abstractmethod
    def forward(self, feats: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Head outputs (a dict of batch-first tensors) from the grounder's features."""

    @abstractmethod
    def loss_by_feat(self, outs: Dict[str, torch.Tensor],
                     targets: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Losses from :meth:`forward`'s outputs and the batch targets (module docstring)."""

    def loss(self, feats: Dict[str, torch.Tensor],
             targets: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Forward, then :meth:`loss_by_feat`."""
        return self.loss_by_feat(self(feats), targets)
