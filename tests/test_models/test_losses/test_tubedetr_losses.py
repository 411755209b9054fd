"""TubeDETR's losses: the KL start/end loss and the guided attention loss compute what the
released code's ``SetCriterion.loss_sted`` / ``loss_guided_attn`` compute (transcribed below
from the paper's formulas, loop by loop), and follow mmdet's loss API."""
import math

import pytest
import torch

from mmstvg.models.losses import GuidedAttentionLoss, StartEndKLLoss
from mmstvg.models.losses.start_end_kl_loss import NO_SPAN_INDEX


def _kl_by_hand(logits, start, end, mask, sigma=1.0, eps=1e-6):
    """Per (video, frame) KL terms, python loops."""
    b, t, _ = logits.shape
    out = torch.zeros(b, t, dtype=torch.float64)
    for i in range(b):
        for k, centre in enumerate((start[i], end[i])):
            z = [logits[i, j, k].item() if mask[i, j] else -1e32 for j in range(t)]
            m = max(z)
            ez = [math.exp(v - m) for v in z]
            p = [v / sum(ez) for v in ez]
            q = [math.exp(-(j - centre)**2 / (2 * sigma**2)) + eps for j in range(t)]
            q = [v / sum(q) for v in q]
            for j in range(t):
                if mask[i, j]:
                    out[i, j] += p[j] * math.log((p[j] + eps) / q[j])
    return out


def test_start_end_kl_matches_the_formula():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 7, 2, generator=g, dtype=torch.float64) * 2
    mask = torch.arange(7)[None] < torch.tensor([7, 5, 6])[:, None]
    target = torch.tensor([[1, 4], [0, 2], [NO_SPAN_INDEX, NO_SPAN_INDEX]])
    expected = _kl_by_hand(logits, target[:, 0], target[:, 1], mask, sigma=1.5)
    loss = StartEndKLLoss(sigma=1.5, loss_weight=10.0)
    torch.testing.assert_close(loss(logits, target, mask), 10.0 * expected.mean())
    # 'mean' averages over every (video, frame) entry, padding included (released code)
    torch.testing.assert_close(
        loss(logits, target, mask, reduction_override='sum'), 10.0 * expected.sum())
    assert loss(logits, target, mask, reduction_override='none').shape == (3, 7)


def test_start_end_kl_gradient_ignores_padding():
    logits = torch.zeros(1, 5, 2, requires_grad=True)
    mask = torch.tensor([[True, True, True, False, False]])
    StartEndKLLoss()(logits, torch.tensor([[0, 2]]), mask).backward()
    assert torch.all(logits.grad[0, 3:] == 0)
    assert torch.isfinite(logits.grad).all()


def _guided_by_hand(weights, in_span, mask, eps=1e-6):
    b, t, _ = weights.shape
    total = 0.0
    for i in range(b):
        neg = [j for j in range(t) if mask[i, j] and not in_span[i, j]]
        video = 0.0
        for r in neg:
            video += sum(-math.log(1 - weights[i, r, c].item() + eps) for c in range(t))
        total += video / (len(neg) + eps)
    return total / b


def test_guided_attention_matches_the_formula():
    g = torch.Generator().manual_seed(1)
    weights = torch.rand(2, 6, 6, generator=g, dtype=torch.float64).softmax(-1)
    in_span = torch.tensor([[0, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 0]]).bool()
    mask = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0]]).bool()
    expected = _guided_by_hand(weights, in_span, mask)
    assert float(GuidedAttentionLoss()(weights, in_span, mask)) == pytest.approx(expected)
    # video 2 has no negative frame: 0 (its rows are all inside the span or padding)
    per_video = GuidedAttentionLoss(reduction='none')(weights, in_span, mask)
    assert float(per_video[1]) == 0.0
    assert float(GuidedAttentionLoss(loss_weight=3.0)(weights, in_span, mask)) == \
        pytest.approx(3 * expected)


def test_guided_attention_only_reads_rows_outside_the_span():
    logits = torch.randn(1, 4, 4, generator=torch.Generator().manual_seed(2))
    logits.requires_grad_(True)
    in_span = torch.tensor([[False, True, True, False]])
    GuidedAttentionLoss()(logits.softmax(-1), in_span).backward()
    assert torch.all(logits.grad[0, 1:3] == 0)
    assert (logits.grad[0, [0, 3]].abs().sum(1) > 0).all()
