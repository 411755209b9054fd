import torch

from mmstvg.models.heads import SpanScoreHead, best_contiguous_run
from mmstvg.utils import register_all_modules

register_all_modules()


def test_best_contiguous_run_hand_computed():
    # scores - 0.5 = [-.4, .3, .4, -.1, .2, -.5]; best run is [1, 4]: .3+.4-.1+.2 = .8
    scores = torch.tensor([0.1, 0.8, 0.9, 0.4, 0.7, 0.0])
    s, e, mean = best_contiguous_run(scores, 0.5)
    assert (s, e) == (1, 4)
    assert abs(mean - (0.8 + 0.9 + 0.4 + 0.7) / 4) < 1e-6
    # a dip deeper than the gain splits the run: [.3, -.45, .2] -> best is [1, 1]
    s, e, _ = best_contiguous_run(torch.tensor([0.1, 0.8, 0.05, 0.7]), 0.5)
    assert (s, e) == (1, 1)
    # nothing above the threshold: the single best frame
    s, e, _ = best_contiguous_run(torch.tensor([0.1, 0.3, 0.2]), 0.5)
    assert (s, e) == (1, 1)


def test_span_loss_ignores_padding():
    head = SpanScoreHead(in_channels=4, hidden_dims=4)
    logits = torch.tensor([[2.0, -2.0, 100.0]])
    in_span = torch.tensor([[True, False, False]])
    mask = torch.tensor([[True, True, False]])
    loss = head.loss_by_feat(dict(span_logits=logits), dict(in_span=in_span,
                                                            frame_mask=mask))['loss_span']
    expected = torch.nn.functional.softplus(torch.tensor(-2.0))  # both frames: log(1+e^-2)
    assert torch.allclose(loss, expected, atol=1e-6)


def test_predict_by_feat_valid_length_and_passes():
    head = SpanScoreHead(in_channels=4, hidden_dims=4, score_thr=0.5)
    p = torch.tensor([[0.1, 0.8, 0.9, 0.2], [0.9, 0.9, 0.1, 0.9]])
    logits = torch.logit(p)
    mask = torch.tensor([[True] * 4, [True, True, True, False]])
    # sample 1's padded last step (0.9) is not part of its span
    (s0, e0, m0), (s1, e1, m1) = head.predict_by_feat(dict(span_logits=logits), mask)
    assert (s0, e0) == (1, 2) and abs(m0 - 0.85) < 1e-6
    assert (s1, e1) == (0, 1) and abs(m1 - 0.9) < 1e-6
    # two passes of one sample: the mean probabilities [.5, .85, .5, .55] - .5 give the run
    # [1, 3] (.35 + 0 + .05), mean (.85 + .5 + .55) / 3
    [(s, e, m)] = head.predict_by_feat(
        dict(span_logits=logits), torch.ones(2, 4, dtype=torch.bool), num_passes=2)
    assert (s, e) == (1, 3) and abs(m - (0.85 + 0.5 + 0.55) / 3) < 1e-6
