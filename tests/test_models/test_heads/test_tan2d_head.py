import math

import pytest
import torch

from mmstvg.models.heads import TAN2DHead
from mmstvg.registry import MODELS
from mmstvg.utils import register_all_modules

register_all_modules()

LN3 = math.log(3)


def _tg(in_span, frame_mask):
    return dict(in_span=in_span, frame_mask=frame_mask)


def _head(**kwargs):
    cfg = dict(
        type='TAN2DHead',
        in_channels=8,
        map_channels=6,
        num_convs=2,
        kernel_size=3,
        aux_hidden_dims=8)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def _naive_map(feats, lengths):
    b, t, d = feats.shape
    out = torch.zeros(b, d, t, t)
    for n in range(b):
        for i in range(lengths[n]):
            for j in range(i, lengths[n]):
                out[n, :, i, j] = feats[n, i:j + 1].mean(0)
    return out


@pytest.mark.parametrize('t', [1, 2, 5, 8])
def test_build_2d_map_matches_naive(t):
    torch.manual_seed(t)
    feats = torch.randn(3, t, 4)
    full = TAN2DHead.build_2d_map(feats)
    assert full.shape == (3, 4, t, t)
    assert torch.allclose(full, _naive_map(feats, [t] * 3), atol=1e-5)
    lengths = [t, max(t - 1, 1), max(t // 2, 1)]
    mask = torch.arange(t)[None] < torch.tensor(lengths)[:, None]
    feats[~mask] = 1e4  # padded garbage must not leak in
    masked = TAN2DHead.build_2d_map(feats, mask)
    assert torch.allclose(masked, _naive_map(feats, lengths), atol=1e-5)


def test_iou_map_hand_values():
    # GT covers positions 1..2, i.e. [1, 3); second sample has no in-span frame
    iou = TAN2DHead.iou_map(torch.tensor([1, -1]), torch.tensor([2, -1]), 4)
    expected = torch.tensor([[0, 1 / 3, 2 / 3, 1 / 2], [0, 1 / 2, 1, 2 / 3], [0, 0, 1 / 2, 1 / 3],
                             [0, 0, 0, 0]])
    assert iou.shape == (2, 4, 4)
    assert torch.allclose(iou[0], expected, atol=1e-6)
    assert (iou[1] == 0).all()


def test_forward_shapes_and_mask():
    head = _head()
    assert isinstance(head, TAN2DHead)
    assert len(head.aux_mlp.layers) == 3
    frame_mask = torch.tensor([[True] * 5, [True] * 3 + [False] * 2])
    out = head(dict(seq=torch.randn(2, 5, 8), frame_mask=frame_mask))
    assert out['score_map'].shape == (2, 5, 5)
    assert out['aux_logits'].shape == (2, 5)
    mm = out['map_mask']
    assert mm.dtype == torch.bool and mm.shape == (2, 5, 5)
    assert torch.equal(mm[0], torch.ones(5, 5, dtype=torch.bool).triu())
    assert mm[1].sum() == 6 and not mm[1, :, 3:].any() and not mm[1, 3:].any()


def test_padding_does_not_change_results():
    torch.manual_seed(0)
    head = _head()
    feats = torch.randn(1, 6, 8)
    in_span = torch.tensor([[False, True, True, False, True, True]])
    n = 4
    frame_mask = torch.arange(6)[None] < n
    padded = head(dict(seq=feats, frame_mask=frame_mask))
    short = head(dict(seq=feats[:, :n], frame_mask=torch.ones(1, n, dtype=torch.bool)))
    valid = padded['map_mask'][0, :n, :n]
    assert torch.allclose(
        padded['score_map'][0, :n, :n][valid], short['score_map'][0][valid], atol=1e-5)
    assert torch.allclose(padded['aux_logits'][:, :n], short['aux_logits'], atol=1e-6)
    lp = head.loss_by_feat(padded, _tg(in_span, frame_mask))
    ls = head.loss_by_feat(short, _tg(in_span[:, :n], torch.ones(1, n, dtype=torch.bool)))
    for k in ('loss_tg', 'loss_dynamic_aux'):
        assert lp[k].item() == pytest.approx(ls[k].item(), abs=1e-5)


def test_loss_hand_computed():
    head = _head(loss_tg=dict(type='ScaledIoUBCELoss', loss_weight=1.0))
    # GT = position 0 only -> IoU (0,0)=1, (0,1)=1/2, (1,1)=0
    out = dict(
        score_map=torch.tensor([[[LN3, LN3], [7.0, 0.0]]]),
        map_mask=torch.tensor([[[True, True], [False, True]]]),
        aux_logits=torch.tensor([[0.0, LN3]]))
    losses = head.loss_by_feat(out,
                               _tg(torch.tensor([[True, False]]), torch.tensor([[True, True]])))
    tg = (-math.log(0.75) - 0.5 * (math.log(0.75) + math.log(0.25)) + math.log(2)) / 3
    assert losses['loss_tg'].item() == pytest.approx(tg, abs=1e-5)
    assert losses['loss_dynamic_aux'].item() == pytest.approx(math.log(4), abs=1e-5)


def test_loss_without_span_is_finite():
    head = _head()
    frame_mask = torch.ones(2, 4, dtype=torch.bool)
    out = head(dict(seq=torch.randn(2, 4, 8), frame_mask=frame_mask))
    losses = head.loss_by_feat(out, _tg(torch.zeros(2, 4, dtype=torch.bool), frame_mask))
    assert losses['loss_dynamic_aux'].item() == 0
    # all-zero IoU targets still train the map: BCE(s, 0) = softplus(s), x5 by default
    expected = 5 * torch.nn.functional.softplus(out['score_map'][out['map_mask']]).mean()
    assert torch.allclose(losses['loss_tg'], expected, atol=1e-5)
    sum(losses.values()).backward()


def test_predict_span_hand_and_random():
    m = torch.zeros(4, 4)
    m[2, 1] = 9.0  # i > j: never chosen
    m[1, 3] = 8.0  # beyond valid_len 3
    m[0, 2] = 0.7
    m[1, 1] = 0.6
    assert TAN2DHead.predict_span(m, 3) == (0, 2, pytest.approx(0.7))
    assert TAN2DHead.predict_span(m, 4)[:2] == (1, 3)
    torch.manual_seed(0)
    for _ in range(50):
        t = int(torch.randint(1, 9, ()))
        n = int(torch.randint(1, t + 1, ()))
        prob = torch.rand(t, t)
        i, j, score = TAN2DHead.predict_span(prob, n)
        assert isinstance(i, int) and isinstance(j, int) and isinstance(score, float)
        assert 0 <= i <= j < n
        assert score == pytest.approx(prob[:n, :n].triu().max().item())


def test_few_adam_steps_lower_the_loss():
    torch.manual_seed(0)
    head = _head()
    feats = torch.randn(2, 6, 8)
    in_span = torch.tensor([[False, True, True, True, False, False],
                            [False, False, False, True, True, False]])
    frame_mask = torch.tensor([[True] * 6, [True] * 5 + [False]])
    opt = torch.optim.Adam(head.parameters(), lr=1e-2)

    def total():
        return sum(
            head.loss(dict(seq=feats, frame_mask=frame_mask), _tg(in_span, frame_mask)).values())

    first = total()
    for _ in range(20):
        opt.zero_grad()
        loss = total()
        loss.backward()
        opt.step()
    assert total().item() < 0.8 * first.item()


def test_predict_by_feat_averages_passes():
    head = _head()
    # two samples of one pass each, then the same maps as two passes of one sample
    p0 = torch.tensor([[0.9, 0.1], [0.0, 0.2]])
    p1 = torch.tensor([[0.1, 0.3], [0.0, 0.8]])
    out = dict(score_map=torch.logit(torch.stack([p0, p1])))
    mask = torch.ones(2, 2, dtype=torch.bool)
    (i0, j0, s0), (i1, j1, s1) = head.predict_by_feat(out, mask)
    assert (i0, j0, i1, j1) == (0, 0, 1, 1)
    assert s0 == pytest.approx(0.9) and s1 == pytest.approx(0.8)
    # mean map [[.5, .2], [-, .5]]: tie between (0, 0) and (1, 1), the first wins
    [(i, j, s)] = head.predict_by_feat(out, mask, num_passes=2)
    assert (i, j) == (0, 0) and s == pytest.approx(0.5)
    mask[1, 1] = False  # a padded step is never part of a span
    assert head.predict_by_feat(out, mask)[1][:2] == (0, 0)
