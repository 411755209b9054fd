"""Base class of the rewards (registry ``REWARDS``): a score of an MLLM's answer to a query.

A reward reads the answer with the grounder's parser (``mmstvg.models.mllm.parsers``; a
parse never raises) and scores the tube against the sample's GT, so a reinforcement-learning
loop (GRPO: :func:`~mmstvg.models.mllm.rewards.group_advantages`,
``MLLMGrounder.grpo_loss``) optimises what the metric measures. ``reward(answers, samples,
parser)`` returns one float per answer; a sample may be repeated for several answers (a
GRPO group).
"""
from typing import List, Mapping, Sequence

from mmstvg.evaluation.functional import query_gt
from mmstvg.structures import Tube


class BaseReward:
    """A reward (module docstring); subclasses implement :meth:`score`.

    Args:
        weight (float): multiplies the score (rewards are summed with their weights,
            :class:`~mmstvg.models.mllm.rewards.RewardSum`). Defaults to 1.
    """

    def __init__(self, weight: float = 1.0) -> None:
        self.weight = float(weight)

    @staticmethod
    def gt_of(sample) -> dict:
        """The protocols' GT dict of a sample (``query_gt``: span, one box per frame,
        clip, fps, num_frames)."""
        meta = sample.metainfo if hasattr(sample, 'metainfo') else sample
        gt = sample.gt_tube if hasattr(sample, 'gt_tube') else sample['gt_tube']
        return query_gt(Tube.from_element(gt), meta)

    @staticmethod
    def meta_of(sample) -> Mapping:
        return sample.metainfo if hasattr(sample, 'metainfo') else sample

    def score(self, answer: str, sample, parser) -> float:
        """The (unweighted) score of one answer."""
        raise NotImplementedError

    def __call__(self, answers: Sequence[str], samples: Sequence, parser) -> List[float]:
        if len(answers) != len(samples):
            raise ValueError(f'{len(answers)} answers for {len(samples)} samples')
        return [self.weight * float(self.score(a, s, parser)) for a, s in zip(answers, samples)]

    def __repr__(self) -> str:
        return f'{type(self).__name__}(weight={self.weight})'
