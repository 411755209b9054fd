"""Whether the answer is in the expected format."""
import re
from typing import Optional

from mmstvg.registry import REWARDS
from .base_reward import BaseReward


@REWARDS.register_module(name='format')
class FormatReward(BaseReward):
    """1 when the answer has the expected form, else 0.

    Args:
        pattern (str, optional): a regular expression the whole answer must match (DOTALL),
            e.g. STVG-R1's ``r'<think>.*?</think>\\s*<answer>.*?</answer>'``. None: the parser
            reads the answer as is (status ``'ok'``, no repair). Defaults to None.
        weight (float): see ``BaseReward``.
    """

    def __init__(self, pattern: Optional[str] = None, weight: float = 1.0) -> None:
        super().__init__(weight)
        self.pattern = None if pattern is None else re.compile(pattern, re.DOTALL)

    def score(self, answer, sample, parser) -> float:
        if self.pattern is not None:
            return float(
                isinstance(answer, str) and self.pattern.fullmatch(answer.strip()) is not None)
        return float(parser.parse(answer, self.meta_of(sample)).status == 'ok')
