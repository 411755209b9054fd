"""Fine-tuning a tiny MLLM grounder: the SFT loss falls under full fine-tuning and under LoRA
(only the adapters train), and a GRPO step on rewarded answers favours the better answer."""
import pytest
import torch

from mmstvg.models.mllm.rewards import group_advantages
from mmstvg.registry import REWARDS
from mmstvg.testing.tiny_mllm import tiny_mllm_batch, tiny_mllm_config, tiny_mllm_grounder

GOOD = '{"start": 1.0, "end": 3.0, "boxes": [{"time": 1.25, "bbox": [10, 10, 50, 50]}]}'
BAD = '{"start": 4.0, "end": 4.5, "boxes": [{"time": 4.25, "bbox": [0, 0, 5, 5]}]}'


def _steps(grounder, inputs, samples, steps=6, lr=3e-3):
    params = [p for p in grounder.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr)
    losses = []
    for _ in range(steps):
        loss = grounder.loss(inputs, samples)['loss_sft']
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    return losses


@pytest.mark.parametrize('family', ['qwen2_vl', 'qwen2_5_vl', 'qwen3_vl'])
def test_sft_lowers_the_loss(family):
    grounder = tiny_mllm_grounder(family)
    inputs, samples = tiny_mllm_batch(family)
    losses = _steps(grounder, inputs, samples)
    assert losses[-1] < 0.8 * losses[0], losses


def test_lora_step_lowers_the_loss_and_trains_only_the_adapters():
    pytest.importorskip('peft')
    grounder = tiny_mllm_grounder(lora=dict(r=8, lora_alpha=16, lora_dropout=0.0))
    trainable = [n for n, p in grounder.named_parameters() if p.requires_grad]
    assert trainable and all('lora_' in n for n in trainable)
    frozen = {n: p.detach().clone() for n, p in grounder.named_parameters() if not p.requires_grad}
    inputs, samples = tiny_mllm_batch()
    losses = _steps(grounder, inputs, samples, lr=1e-2)
    assert losses[-1] < losses[0] - 0.2 and losses == sorted(losses, reverse=True), losses
    for n, p in grounder.named_parameters():
        if n in frozen:
            assert torch.equal(p, frozen[n]), n
    # the adapted model still predicts (parses whatever it says)
    out = grounder.predict(inputs, samples)
    assert all(s.get('parse_status') is not None for s in out)


def test_lora_with_gradient_checkpointing_trains():
    pytest.importorskip('peft')
    grounder = tiny_mllm_grounder(
        model=dict(config=tiny_mllm_config('qwen2_5_vl'), gradient_checkpointing=True),
        lora=dict(r=4, lora_alpha=8))
    grounder.train()
    inputs, samples = tiny_mllm_batch()
    grounder.loss(inputs, samples)['loss_sft'].backward()
    # lora_B starts at zero, so lora_A's first gradient is zero: lora_B's is not
    grads = [p.grad for n, p in grounder.named_parameters() if 'lora_B' in n]
    assert grads and all(g is not None for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)


def test_freeze_vision():
    grounder = tiny_mllm_grounder(freeze_vision=True)
    frozen = [n for n, p in grounder.named_parameters() if not p.requires_grad]
    assert frozen and all('.visual.' in n for n in frozen)
    assert any(p.requires_grad for p in grounder.parameters())


def test_grpo_step_favours_the_rewarded_answer():
    grounder = tiny_mllm_grounder()
    inputs, samples = tiny_mllm_batch(qids=('a', ))
    group_inputs = {k: v.repeat(2, *[1] * (v.ndim - 1)) for k, v in inputs.items()}
    group = [samples[0], samples[0]]
    answers = [GOOD, BAD]
    reward = REWARDS.build(dict(type='sum', rewards=[dict(type='tiou'), dict(type='viou')]))
    rewards = reward(answers, group, grounder.parser)
    assert rewards == pytest.approx([2.0, 0.0])
    adv = group_advantages(rewards, group_size=2)
    assert adv == pytest.approx([1.0, -1.0], abs=1e-3)

    def gap():
        with torch.no_grad():
            logp = grounder.answer_logprobs(group_inputs, group, answers)
        return float(logp[0] - logp[1])

    before = gap()
    opt = torch.optim.AdamW([p for p in grounder.parameters() if p.requires_grad], lr=3e-3)
    for _ in range(4):
        loss = grounder.grpo_loss(group_inputs, group, answers, adv)['loss_grpo']
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert gap() > before + 0.1
