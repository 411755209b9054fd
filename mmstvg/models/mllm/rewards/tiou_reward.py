"""Temporal IoU of the answer's span with the GT span (``mmstvg.structures.temporal_iou``)."""
from mmstvg.registry import REWARDS
from mmstvg.structures import temporal_iou
from .base_reward import BaseReward


@REWARDS.register_module(name='tiou')
class TemporalIoUReward(BaseReward):
    """tIoU of the parsed span and the GT span, in [0, 1] (0 for a failed parse: its span is
    empty)."""

    def score(self, answer, sample, parser) -> float:
        result = parser.parse(answer, self.meta_of(sample))
        return temporal_iou(result.span, self.gt_of(sample)['span'])
