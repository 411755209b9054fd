"""TubeDETR's start/end head: shapes, dropout after every layer, targets, and the decoding of
the released ``PostProcessSTVG`` (best ``s < e`` pair) checked by brute force."""
import itertools

import pytest
import torch

from mmstvg.models.heads import BaseTemporalHead, StartEndHead
from mmstvg.models.losses.start_end_kl_loss import NO_SPAN_INDEX


def _head(**kwargs):
    torch.manual_seed(0)
    return StartEndHead(in_channels=8, hidden_dims=8, **kwargs)


def test_forward_shapes_and_interface():
    head = _head()
    assert isinstance(head, BaseTemporalHead) and head.in_key == 'queries'
    out = head(dict(queries=torch.randn(2, 5, 8), frame_mask=torch.ones(2, 5, dtype=torch.bool)))
    assert out['sted_logits'].shape == (2, 5, 2)
    assert [tuple(layer.weight.shape) for layer in head.layers] == [(8, 8), (2, 8)]


def test_dropout_also_on_the_logits():
    """As the released MLP: in training even the output is dropped (zeros appear)."""
    head = _head(dropout=0.5)
    head.train()
    out = head(dict(queries=torch.randn(4, 50, 8)))['sted_logits']
    assert (out == 0).float().mean() > 0.2
    head.eval()
    assert (head(dict(queries=torch.randn(4, 50, 8)))['sted_logits'] != 0).all()


def test_targets_are_first_and_last_in_span_positions():
    in_span = torch.tensor([[0, 1, 1, 1, 0], [0, 0, 0, 0, 0]]).bool()
    mask = torch.ones(2, 5, dtype=torch.bool)
    target = StartEndHead.get_sted_targets(in_span, mask)
    assert target.tolist() == [[1, 3], [NO_SPAN_INDEX, NO_SPAN_INDEX]]
    head = _head()
    losses = head.loss_by_feat(
        dict(sted_logits=torch.randn(2, 5, 2)), dict(in_span=in_span, frame_mask=mask))
    assert set(losses) == {'loss_sted'} and losses['loss_sted'] > 0


def test_decoding_is_the_best_strictly_increasing_pair():
    g = torch.Generator().manual_seed(3)
    logits = torch.randn(3, 6, 2, generator=g)
    mask = torch.arange(6)[None] < torch.tensor([6, 4, 2])[:, None]
    spans, log_scores = StartEndHead.decode_span(logits, mask)
    for i in range(3):
        n = int(mask[i].sum())
        ls = logits[i, :n, 0].log_softmax(0)
        le = logits[i, :n, 1].log_softmax(0)
        best = max(((s, e) for s, e in itertools.combinations(range(n), 2)),
                   key=lambda p: float(ls[p[0]] + le[p[1]]))
        assert tuple(spans[i].tolist()) == best
        torch.testing.assert_close(log_scores[i], ls[best[0]] + le[best[1]])
    head = _head()
    results = head.predict_by_feat(dict(sted_logits=logits), mask)
    assert [r[:2] for r in results] == [tuple(s) for s in spans.tolist()]
    assert all(0 < r[2] <= 1 for r in results)


def test_union_of_separately_decoded_passes():
    """Hand-made logits: sample 0's pass 0 (positions 0, 2, 4, 6) peaks at segments 1 -> 2,
    i.e. positions 2 -> 4; its pass 1 (positions 1, 3, 5, 7) at segments 0 -> 3, positions
    1 -> 7: the union is positions 1 -> 7 (the released evaluators' min start / max end).
    Sample 1's passes agree on segments 0 -> 1: positions 0 -> 3."""
    head = StartEndHead(in_channels=8, hidden_dims=8)
    big = 20.
    logits = torch.zeros(4, 4, 2)
    for row, (s, e) in enumerate([(1, 2), (0, 3), (0, 1), (0, 1)]):
        logits[row, s, 0] = big
        logits[row, e, 1] = big
    mask = torch.ones(4, 4, dtype=torch.bool)
    spans = head.predict_pass_spans(dict(sted_logits=logits), mask, num_passes=2)
    assert [(f, la) for f, la, _ in spans] == [(1, 7), (0, 3)]
    assert all(0.99 < score <= 1 for _, _, score in spans)
    # the averaged-logit rule gives one span per segment pair instead
    mean = head.predict_by_feat(dict(sted_logits=logits), mask, num_passes=2)
    assert [(s, e) for s, e, _ in mean][1] == (0, 1)
    with pytest.raises(ValueError, match='do not split'):
        head.predict_pass_spans(dict(sted_logits=logits[:3]), mask[:3], num_passes=2)
