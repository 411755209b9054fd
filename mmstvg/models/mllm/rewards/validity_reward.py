"""Whether the answer is a valid tube: a non-empty span inside the clip, with boxes."""
from mmstvg.registry import REWARDS
from .base_reward import BaseReward


@REWARDS.register_module(name='validity')
class ValidityReward(BaseReward):
    """1 when the parsed answer is a usable tube (status ``'ok'`` or ``'repaired'``: a span
    inside the clip and at least one box in the frame), else 0 (``no_answer``, ``bad_span``,
    ``out_of_range``, ``no_boxes``)."""

    def score(self, answer, sample, parser) -> float:
        return float(parser.parse(answer, self.meta_of(sample)).status in ('ok', 'repaired'))
