import pytest
import torch

from mmstvg.models.heads.temporal_location_head import TemporalLocationHead
from mmstvg.registry import MODELS
from mmstvg.structures import span_to_positions
from mmstvg.utils import register_all_modules

register_all_modules()

C = 4

# anchor_scales (2, 3), valid_len 4: [t - s // 2, t - s // 2 + s) clipped to [0, 4]
HAND_CANDIDATES = [
    [0, 1],
    [0, 2],  # t = 0
    [0, 2],
    [0, 3],  # t = 1
    [1, 3],
    [1, 4],  # t = 2
    [2, 4],
    [2, 4]
]  # t = 3
# IoU with the GT span [1, 3) (in-span positions 1..2)
HAND_IOU = [0, 1 / 3, 1 / 3, 2 / 3, 1, 2 / 3, 1 / 3, 1 / 3]
# (t_s - hat_t_s, t_e - hat_t_e)
HAND_OFFSETS = [[1, 2], [1, 1], [1, 1], [1, 0], [0, 0], [0, -1], [-1, -1], [-1, -1]]
HAND_LENGTHS = [1, 2, 2, 3, 2, 3, 2, 2]


def _head(**kwargs):
    cfg = dict(
        type='TemporalLocationHead',
        in_channels=C,
        embed_dims=16,
        num_heads=2,
        anchor_scales=(2, 4, 8))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def _tg(in_span, frame_mask):
    return dict(in_span=in_span, frame_mask=frame_mask)


def _mask(lengths, t):
    return torch.arange(t)[None] < torch.tensor(lengths)[:, None]


def test_build_and_forward_shapes():
    head = _head()
    assert isinstance(head, TemporalLocationHead)
    assert len(head.attn_layers) == 2
    frame_mask = _mask([7, 5], 7)
    out = head(dict(maps=torch.randn(2, C, 7, 3, 3), frame_mask=frame_mask))
    assert out['conf'].shape == (2, 7, 3)
    assert out['offsets'].shape == (2, 7, 3, 2)
    assert out['emb'].shape == (2, 7, 16)
    assert ((out['conf'] >= 0) & (out['conf'] <= 1)).all()
    assert (out['emb'][1, 5:] == 0).all()
    cm = head.candidate_mask(frame_mask)
    assert cm.shape == (2, 7, 3) and cm.dtype == torch.bool
    assert cm[0].all() and cm[1, :5].all() and not cm[1, 5:].any()
    # no mask: all real
    assert head(dict(maps=torch.randn(1, C, 4, 2, 2)))['conf'].shape == (1, 4, 3)


def test_candidates_by_hand():
    head = _head(anchor_scales=(2, 3))
    cand = head.candidates(4, 'cpu')
    assert cand.dtype == torch.float32
    assert torch.equal(cand, torch.tensor(HAND_CANDIDATES, dtype=torch.float32))
    # a longer sequence: scale 3 centred on step 5 is [4, 7); scale 2 is [4, 6)
    cand = head.candidates(10, 'cpu').reshape(10, 2, 2)
    assert cand[5].tolist() == [[4, 6], [4, 7]]
    # batched version clips per sample and agrees with the per-sample one on real steps
    spans = head.anchor_spans(6, torch.tensor([6, 4]))
    assert spans.shape == (2, 6, 2, 2)
    assert torch.equal(spans[1, :4].reshape(-1, 2), head.candidates(4))
    assert torch.equal(spans[0].reshape(-1, 2), head.candidates(6))


@pytest.mark.parametrize('conf_thr', [0.3, 0.4])
def test_iou_and_offset_targets_by_hand(conf_thr):
    head = _head(anchor_scales=(2, 3), conf_thr=conf_thr)
    # sample 0: GT positions 1..2 of 4 real steps; sample 1: 2 real steps, no GT
    in_span = torch.tensor([[False, True, True, False], [False, False, False, False]])
    frame_mask = _mask([4, 2], 4)
    tg = head.get_targets(in_span, frame_mask)
    iou = torch.tensor(HAND_IOU)
    assert torch.allclose(tg['iou'][0].reshape(-1), iou, atol=1e-6)
    conf = torch.where(iou < conf_thr, torch.zeros_like(iou), iou)
    assert torch.allclose(tg['conf_target'][0].reshape(-1), conf, atol=1e-6)
    assert torch.equal(tg['pos_mask'][0].reshape(-1), iou >= conf_thr)
    if conf_thr == 0.4:
        assert tg['pos_mask'][0].sum() == 3  # [0, 3), [1, 3), [1, 4)
    assert torch.equal(tg['offset_target'][0].reshape(-1, 2),
                       torch.tensor(HAND_OFFSETS, dtype=torch.float32))
    assert (tg['conf_target'][1] == 0).all() and not tg['pos_mask'][1].any()
    assert tg['cand_mask'][1].sum() == 4
    assert tg['gt_mask'][0].all() and not tg['gt_mask'][1].any()

    norm = _head(anchor_scales=(2, 3), conf_thr=conf_thr, normalize_offsets=True)
    expected = torch.tensor(
        HAND_OFFSETS, dtype=torch.float32) / torch.tensor(
            HAND_LENGTHS, dtype=torch.float32)[:, None]
    got = norm.get_targets(in_span, frame_mask)['offset_target'][0].reshape(-1, 2)
    assert torch.allclose(got, expected, atol=1e-6)


def test_loss_by_hand():
    in_span = torch.tensor([[False, True, True, False], [False, False, False, False]])
    frame_mask = _mask([4, 2], 4)
    out = dict(conf=torch.full((2, 4, 2), 0.5), offsets=torch.zeros(2, 4, 2, 2))
    one = dict(type='mmdet.SmoothL1Loss', loss_weight=1.0)
    head = _head(anchor_scales=(2, 3), conf_thr=0.4, loss_conf=one, loss_offset=one)
    losses = head.loss_by_feat(out, _tg(in_span, frame_mask))
    # conf targets of sample 0: [0, 0, 0, 2/3, 1, 2/3, 0, 0]; sample 1: four zeros
    conf = (10 * 0.125 + 2 * 0.5 * (1 / 6)**2) / 12
    assert losses['loss_conf'].item() == pytest.approx(conf, abs=1e-6)
    # positives [0, 3), [1, 3), [1, 4): offsets (1, 0), (0, 0), (0, -1)
    assert losses['loss_offset'].item() == pytest.approx((0.5 + 0 + 0.5) / 3, abs=1e-6)
    head_all = _head(
        anchor_scales=(2, 3), conf_thr=0.4, loss_conf=one, loss_offset=one, offset_pos_only=False)
    losses = head_all.loss_by_feat(out, _tg(in_span, frame_mask))
    assert losses['loss_offset'].item() == pytest.approx(7 / 8, abs=1e-6)
    # default weights alpha_3 = 0.2, alpha_4 = 0.1
    losses = _head(anchor_scales=(2, 3), conf_thr=0.4).loss_by_feat(out, _tg(in_span, frame_mask))
    assert losses['loss_conf'].item() == pytest.approx(0.2 * conf, abs=1e-6)
    assert losses['loss_offset'].item() == pytest.approx(0.1 / 3, abs=1e-6)
    # no GT anywhere: zero offset loss that still backpropagates
    offsets = torch.zeros(1, 4, 2, 2, requires_grad=True)
    losses = head.loss_by_feat(
        dict(conf=torch.full((1, 4, 2), 0.5), offsets=offsets),
        _tg(torch.zeros(1, 4, dtype=torch.bool), torch.ones(1, 4, dtype=torch.bool)))
    assert losses['loss_offset'].item() == 0
    assert losses['loss_conf'].item() == pytest.approx(0.125, abs=1e-6)
    sum(losses.values()).backward()


@pytest.mark.parametrize('normalize', [False, True])
def test_predict_recovers_gt_from_perfect_targets(normalize):
    head = _head(anchor_scales=(1, 2, 4, 8), normalize_offsets=normalize)
    g = torch.Generator().manual_seed(0)
    t = 12
    for _ in range(30):
        n = int(torch.randint(1, t + 1, (), generator=g))
        first = int(torch.randint(0, n, (), generator=g))
        last = int(torch.randint(first, n, (), generator=g))
        in_span = torch.zeros(1, t, dtype=torch.bool)
        in_span[0, first:last + 1] = True
        frame_mask = _mask([n], t)
        tg = head.get_targets(in_span, frame_mask)
        out = dict(conf=tg['conf_target'][0], offsets=tg['offset_target'][0])
        start, end, score = head.predict_span(out, n)
        assert isinstance(start, float) and isinstance(end, float)
        assert isinstance(score, float)
        assert start == pytest.approx(first, abs=1e-5)
        assert end == pytest.approx(last + 1, abs=1e-5)
        assert score == pytest.approx(tg['iou'][0].max().item())
        assert span_to_positions(start, end, n) == (first, last)
        [(i, j, s)] = head.predict_by_feat({k: v[None] for k, v in out.items()}, frame_mask)
        assert (i, j, s) == (first, last, score)
        tuple_out = head.predict_span((out['conf'], out['offsets']), n)
        assert tuple_out == (start, end, score)


def test_predict_span_hand():
    head = _head(anchor_scales=(2, 3))
    conf = torch.zeros(4, 2)
    offsets = torch.zeros(4, 2, 2)
    conf[3, 1] = 0.9  # beyond valid_len 3: ignored
    conf[1, 1] = 0.7  # candidate [0, 3) of valid_len 3
    offsets[1, 1] = torch.tensor([0.4, 1.5])
    start, end, score = head.predict_span(dict(conf=conf, offsets=offsets), 3)
    assert (start, end) == (pytest.approx(0.4), 3.0)  # end 4.5 clipped to valid_len
    assert score == pytest.approx(0.7)
    offsets[1, 1] = torch.tensor([2.0, -2.0])  # refined span empty: unrefined candidate
    assert head.predict_span((conf, offsets), 3) == (0.0, 3.0, pytest.approx(0.7))
    assert head.predict_span((conf, torch.zeros(4, 2, 2)), 4)[:2] == (2.0, 4.0)


@pytest.mark.parametrize('kernels', [dict(), dict(fuse_kernel_size=3, pred_kernel_size=3)])
def test_padding_does_not_change_results(kernels):
    torch.manual_seed(0)
    head = _head(**kernels).eval()
    n, pad = 5, 3
    feats = torch.randn(1, C, n, 3, 3)
    garbage = 100 * torch.randn(1, C, pad, 3, 3)
    padded_feats = torch.cat([feats, garbage], 2)
    other = torch.randn(1, C, n + pad, 3, 3)
    batch = torch.cat([other, padded_feats])
    frame_mask = _mask([n + pad, n], n + pad)
    with torch.no_grad():
        short = head(dict(maps=feats, frame_mask=torch.ones(1, n, dtype=torch.bool)))
        padded = head(dict(maps=batch, frame_mask=frame_mask))
        alone = head(dict(maps=other))
    for k in ('conf', 'offsets', 'emb'):
        assert torch.allclose(padded[k][1, :n], short[k][0], atol=1e-5), k
        assert torch.allclose(padded[k][0], alone[k][0], atol=1e-5), k
    in_span = torch.zeros(2, n + pad, dtype=torch.bool)
    in_span[:, 1:3] = True
    in_span[1, n:] = True  # in-span flags on padded steps are ignored
    lp = head.loss_by_feat({k: v[1:] for k, v in padded.items()}, _tg(in_span[1:], frame_mask[1:]))
    ls = head.loss_by_feat(short, _tg(in_span[1:, :n], torch.ones(1, n, dtype=torch.bool)))
    for k in ('loss_conf', 'loss_offset'):
        assert lp[k].item() == pytest.approx(ls[k].item(), abs=1e-6)


def test_without_attention():
    head = _head(use_attention=False)
    full = _head()
    assert head.attn_layers is None
    names = [name for name, _ in head.named_parameters()]
    assert not any('attn' in name for name in names)
    n_full = sum(p.numel() for p in full.parameters())
    n_ablated = sum(p.numel() for p in head.parameters())
    assert n_ablated < n_full
    frame_mask = _mask([6, 4], 6)
    in_span = torch.zeros(2, 6, dtype=torch.bool)
    in_span[:, 1:4] = True
    out = head(dict(maps=torch.randn(2, C, 6, 3, 3), frame_mask=frame_mask))
    assert out['conf'].shape == (2, 6, 3) and out['offsets'].shape == (2, 6, 3, 2)
    losses = head.loss_by_feat(out, _tg(in_span, frame_mask))
    sum(losses.values()).backward()
    start, end, _ = head.predict_span({k: v[1] for k, v in out.items()}, 4)
    assert 0 <= start < end <= 4


def test_few_adam_steps_lower_the_loss():
    torch.manual_seed(0)
    head = _head()
    feats = torch.randn(2, C, 8, 3, 3)
    in_span = torch.tensor([[False, True, True, True, False, False, False, False],
                            [False, False, False, True, True, False, False, False]])
    frame_mask = _mask([8, 6], 8)
    opt = torch.optim.Adam(head.parameters(), lr=1e-2)

    def total():
        return sum(
            head.loss(dict(maps=feats, frame_mask=frame_mask), _tg(in_span, frame_mask)).values())

    first = total().item()
    for _ in range(25):
        opt.zero_grad()
        loss = total()
        loss.backward()
        opt.step()
    assert total().item() < 0.8 * first
