"""vIoU of the answer's tube with the GT tube under an mmstvg evaluation protocol."""
from typing import Union

from mmstvg.evaluation.functional import build_protocol
from mmstvg.registry import REWARDS
from .base_reward import BaseReward


@REWARDS.register_module(name='viou')
class VideoIoUReward(BaseReward):
    """vIoU of the parsed tube under ``protocol`` (the protocol's own function, exactly what
    ``STVGMetric`` scores; 0 for a failed parse).

    Args:
        protocol (str | dict): a registered protocol (``'dense'``, ``'sampled'``,
            ``'hcstvg_official'``) or its config. Defaults to 'dense'.
        weight (float): see ``BaseReward``.
    """

    def __init__(self, protocol: Union[str, dict] = 'dense', weight: float = 1.0) -> None:
        super().__init__(weight)
        self.protocol = build_protocol(protocol)

    def score(self, answer, sample, parser) -> float:
        result = parser.parse(answer, self.meta_of(sample))
        pred = self.protocol.prepare_pred(result.tube)
        return self.protocol.score_query(self.gt_of(sample), pred)['vIoU']

    def __repr__(self) -> str:
        return f'{type(self).__name__}(protocol={self.protocol!r}, weight={self.weight})'
