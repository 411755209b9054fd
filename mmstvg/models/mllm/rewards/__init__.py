# Each reward module adds its import line here.
from .base_reward import BaseReward
from .format_reward import FormatReward
from .reward_sum import RewardSum, group_advantages
from .tiou_reward import TemporalIoUReward
from .validity_reward import ValidityReward
from .viou_reward import VideoIoUReward

__all__ = [
    'BaseReward', 'FormatReward', 'RewardSum', 'group_advantages', 'TemporalIoUReward',
    'ValidityReward', 'VideoIoUReward'
]
