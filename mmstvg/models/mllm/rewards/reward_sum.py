"""The weighted sum of several rewards, and GRPO's group-normalised advantages."""
from typing import List, Sequence

import numpy as np

from mmstvg.registry import REWARDS
from .base_reward import BaseReward


@REWARDS.register_module(name='sum')
class RewardSum(BaseReward):
    """The sum of ``rewards`` (each with its own ``weight``), e.g. STVG-R1's temporal +
    spatial + format rewards: ``dict(type='sum', rewards=[dict(type='tiou'), dict(type='viou'),
    dict(type='format')])``.

    Args:
        rewards (Sequence[dict | BaseReward]): the rewards.
        weight (float): multiplies the sum. Defaults to 1.
    """

    def __init__(self, rewards: Sequence, weight: float = 1.0) -> None:
        super().__init__(weight)
        self.rewards = [REWARDS.build(r) if isinstance(r, dict) else r for r in rewards]

    def __call__(self, answers, samples, parser) -> List[float]:
        parts = np.array([r(answers, samples, parser) for r in self.rewards], dtype=np.float64)
        return (self.weight * parts.sum(axis=0)).tolist()

    def __repr__(self) -> str:
        return f'{type(self).__name__}(rewards={self.rewards!r}, weight={self.weight})'


def group_advantages(rewards: Sequence[float], group_size: int, eps: float = 1e-4) -> np.ndarray:
    """GRPO's advantages: each reward minus its group's mean, over the group's standard
    deviation (+ ``eps``). Groups are consecutive runs of ``group_size`` answers (the answers
    sampled for one query).

    Returns:
        np.ndarray: (len(rewards),) float64.
    """
    r = np.asarray(rewards, dtype=np.float64).reshape(-1, int(group_size))
    return ((r - r.mean(axis=1, keepdims=True)) / (r.std(axis=1, keepdims=True) + eps)).ravel()
