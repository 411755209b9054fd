"""Rewards: hand-computed scores of scripted answers (the same numbers STVGMetric gives)."""
import pytest

from mmstvg.models.mllm.parsers import JSONTubeParser, STVGR1Parser
from mmstvg.models.mllm.rewards import group_advantages
from mmstvg.registry import REWARDS
from mmstvg.testing.tiny_mllm import tiny_mllm_batch

ANSWERS = [
    '{"start": 1.0, "end": 3.0, "boxes": [{"time": 1.25, "bbox": [10, 10, 50, 50]}]}',
    '{"start": 2.0, "end": 4.0, "boxes": [{"time": 2.25, "bbox": [10, 10, 30, 50]}]}',
    'no idea',
    '{"start": 1.0, "end": 3.0}',
    '{"start": 3.0, "end": 1.0, "boxes": [{"time": 1.25, "bbox": [10, 10, 50, 50]}]}',
]


def _samples():
    _, samples = tiny_mllm_batch(qids=tuple('abcde'))  # GT [8, 24), box [10, 10, 50, 50]
    return samples


@pytest.mark.parametrize('cfg,expected', [
    (dict(type='tiou'), [1, 1 / 3, 0, 1, 1]),
    (dict(type='viou'), [1, 1 / 6, 0, 0, 1]),
    (dict(type='viou', protocol='hcstvg_official'), [1, 1 / 6, 0, 0, 1]),
    (dict(type='format'), [1, 1, 0, 0, 0]),
    (dict(type='validity'), [1, 1, 0, 0, 1]),
    (dict(type='sum', rewards=[dict(type='tiou'), dict(type='viou', weight=2.0)
                               ]), [3, 1 / 3 + 1 / 3, 0, 1, 3]),
])
def test_rewards_of_scripted_answers(cfg, expected):
    reward = REWARDS.build(cfg)
    assert reward(ANSWERS, _samples(), JSONTubeParser()) == pytest.approx(expected)


def test_stvg_r1_format_reward_pattern():
    reward = REWARDS.build(
        dict(type='format', pattern=r'<think>.*?</think>\s*<answer>.*?</answer>'))
    answers = [
        '<think>left man</think> <answer>Target ID: 1, Time range: 1.00 to 3.00</answer>',
        '<answer>Target ID: 1, Time range: 1.00 to 3.00</answer>'
    ]
    assert reward(answers, _samples()[:2], STVGR1Parser()) == [1.0, 0.0]


def test_group_advantages():
    adv = group_advantages([1.0, 0.0, 2.0, 2.0], group_size=2)
    assert adv[:2] == pytest.approx([1.0, -1.0], abs=1e-3)
    assert adv[2:] == pytest.approx([0.0, 0.0])  # a group of equal rewards teaches nothing
