"""Base class of the temporal heads: one span per sample (see ``base_grounding_head.py`` for
the features a grounder passes and the targets)."""
from abc import abstractmethod
from typing import Dict, List, Tuple

import torch

from .base_grounding_head import BaseGroundingHead


class BaseTemporalHead(BaseGroundingHead):
    """A head that predicts the span of the described action.

    Subclasses implement :meth:`forward`, :meth:`loss_by_feat` (temporal losses from the GT
    span, ``targets['in_span']``) and :meth:`predict_by_feat`.
    """

    default_in_key = 'seq'

    @abstractmethod
    def predict_by_feat(self,
                        outs: Dict[str, torch.Tensor],
                        frame_mask: torch.Tensor,
                        num_passes: int = 1) -> List[Tuple[int, int, float]]:
        """Decode the span of every sample.

        Args:
            outs (dict): :meth:`forward`'s outputs for a batch of B sequences.
            frame_mask (Tensor): (B, T) bool, real steps.
            num_passes (int): P; the B sequences are B / P samples, each as P consecutive
                passes over the same T segments (multi-pass inference); the passes' scores
                are averaged per segment before decoding.

        Returns:
            list[tuple]: per sample ``(i, j, score)``: the first and last segment (inclusive,
            ``0 <= i <= j < valid_len``) and the span's score.
        """

    def predict(self,
                feats: Dict[str, torch.Tensor],
                num_passes: int = 1) -> List[Tuple[int, int, float]]:
        """Forward, then :meth:`predict_by_feat`."""
        return self.predict_by_feat(self(feats), feats['frame_mask'], num_passes)

    @staticmethod
    def group_passes(values: torch.Tensor, num_passes: int) -> torch.Tensor:
        """(B, ...) -> (B / P, ...) mean over each sample's P consecutive passes."""
        if num_passes == 1:
            return values
        if values.shape[0] % num_passes:
            raise ValueError(f'{values.shape[0]} sequences do not split into samples of '
                             f'{num_passes} passes')
        return values.view(-1, num_passes, *values.shape[1:]).mean(1)
