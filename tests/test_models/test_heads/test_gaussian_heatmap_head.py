"""GaussianHeatmapHead (GKCMN §2.3): targets, ltrb round trip, decoding, training."""
import torch

from mmstvg.models.heads import GaussianHeatmapHead


def test_gaussian_target_peak_and_single_point():
    head = GaussianHeatmapHead(in_channels=4, map_size=16)
    box = torch.tensor([[0.25, 0.25, 0.75, 0.5]])  # centre (0.5, 0.375) -> cell (8, 6)
    heat, _, reg = head.get_targets(box, 16, 16)
    assert heat[0, 6, 8] == 1 and heat.max() == 1
    assert heat[0, 6, 9] < 1 and heat[0, 6, 11] < heat[0, 6, 9]
    assert reg[0].sum() == 8 * 4 and reg[0, 6, 8] and not reg[0, 0, 0]
    single = GaussianHeatmapHead(in_channels=4, map_size=16, single_point=True)
    heat, _, _ = single.get_targets(box, 16, 16)
    assert heat.sum() == 1 and heat[0, 6, 8] == 1


def test_box_adaptive_kernel_positive_counts():
    """Eq. 6 with γ = 0.8 on Eq. 5 targets: h > γ  <=>  d² < 2 σ² ln(1 / γ) = 0.4463 σ²
    (d in cells from the peak cell); default σ = 0.4 sqrt(w' h') on the L = 16 map."""
    head = GaussianHeatmapHead(in_channels=4, map_size=16)
    gamma = head.loss_heatmap.gamma
    assert gamma == 0.8
    boxes = torch.tensor([
        [0.125, 0.125, 0.875, 0.875],  # 12 x 12 cells, σ = 4.8
        [0.375, 0.375, 0.625, 0.625],  # 4 x 4 cells, σ = 1.6
        [0.45, 0.45, 0.55, 0.55]
    ])  # 1.6 x 1.6 cells, σ = 0.64
    heat, _, _ = head.get_targets(boxes, 16, 16)
    counts = (heat > gamma).flatten(1).sum(1).tolist()
    # 12 cells: d² < 0.4463 * 23.04 = 10.28, the lattice points with x² + y² <= 10 around
    #   the peak: 1 (d² = 0) + 4 (1) + 4 (2) + 4 (4) + 8 (5) + 4 (8) + 4 (9) + 8 (10) = 37
    # 4 cells: d² < 0.4463 * 2.56 = 1.14: the peak and its 4 neighbours = 5
    # 1.6 cells: d² < 0.4463 * 0.4096 = 0.18: the peak only
    assert counts == [37, 5, 1]
    assert heat[0, 8, 8] == 1 and heat[1, 8, 8] == 1
    # elliptical variant: a 12 x 4 box, σ_x = 4.8, σ_y = 1.6: x²/23.04 + y²/2.56 < 0.4463
    #   row y = 0: |x| <= 3 (7 cells); rows y = ±1: x² < 1.28, |x| <= 1 (3 + 3); |y| = 2: none
    xy = GaussianHeatmapHead(in_channels=4, map_size=16, sigma_mode='box_xy')
    heat, _, _ = xy.get_targets(torch.tensor([[0.125, 0.375, 0.875, 0.625]]), 16, 16)
    assert int((heat > gamma).sum()) == 13
    # the earlier CenterNet reading (radius with overlap δ = 0.9) collapses to one positive
    cn = GaussianHeatmapHead(in_channels=4, map_size=16, sigma_mode='centernet')
    heat, _, _ = cn.get_targets(boxes, 16, 16)
    assert (heat > gamma).flatten(1).sum(1).tolist() == [1, 1, 1]


def test_ltrb_round_trip_and_predict():
    head = GaussianHeatmapHead(in_channels=4, map_size=8)
    box = torch.tensor([[0.1, 0.2, 0.6, 0.9]])
    heat, ltrb, reg = head.get_targets(box, 8, 8)
    decoded = head.decode_ltrb(ltrb)[0]  # (8, 8, 4)
    torch.testing.assert_close(decoded[reg[0]], box.expand(int(reg.sum()), 4))
    out = dict(heatmap=torch.logit(heat.clamp(1e-4, 1 - 1e-4))[None], ltrb=ltrb[None])
    boxes, scores = head.predict_by_feat(out)
    torch.testing.assert_close(boxes[0, 0], box[0])
    assert scores.shape == (1, 1)


def test_ltrb_encode_decode_hand_computed():
    # 4 x 4 map; the box [0.25, 0, 0.75, 0.5] spans cells x in [1, 3], y in [0, 2]
    box = torch.tensor([[0.25, 0.0, 0.75, 0.5]])
    ltrb = GaussianHeatmapHead.encode_ltrb(box, 4, 4)  # (1, 4, 4, 4)
    assert ltrb.shape == (1, 4, 4, 4)
    # cell (row 0, col 1), centre (1.5, 0.5): l = 0.5, t = 0.5, r = 1.5, b = 1.5
    assert ltrb[0, :, 0, 1].tolist() == [0.5, 0.5, 1.5, 1.5]
    # cell (row 3, col 3), centre (3.5, 3.5): l = 2.5, t = 3.5, r = -0.5, b = -1.5
    assert ltrb[0, :, 3, 3].tolist() == [2.5, 3.5, -0.5, -1.5]
    # regression cells: centres strictly inside, cols 1-2 x rows 0-1
    _, _, reg = GaussianHeatmapHead(in_channels=4, map_size=4).get_targets(box, 4, 4)
    assert reg[0].nonzero().tolist() == [[0, 1], [0, 2], [1, 1], [1, 2]]
    # decode: l = t = 0.5, r = b = 1 everywhere on a 2 x 2 map, any leading dims
    dist = torch.tensor([0.5, 0.5, 1.0, 1.0])[None, None, :, None, None].expand(2, 3, 4, 2, 2)
    boxes = GaussianHeatmapHead.decode_ltrb(dist)  # (2, 3, 2, 2, 4)
    assert boxes.shape == (2, 3, 2, 2, 4)
    # centre (0.5, 0.5) -> (0, 0, 1.5, 1.5) cells; centre (0.5, 1.5) -> (0, 1, 1.5, 2.5)
    assert boxes[1, 2, 0, 0].tolist() == [0.0, 0.0, 0.75, 0.75]
    assert boxes[1, 2, 1, 0].tolist() == [0.0, 0.5, 0.75, 1.25]


def test_loss_only_valid_frames_and_training():
    torch.manual_seed(0)
    head = GaussianHeatmapHead(in_channels=4, feat_channels=8, map_size=8, sigma=1.0)
    feats = dict(maps=torch.randn(1, 4, 3, 4, 4))
    gt = torch.tensor([[[0.1, 0.1, 0.5, 0.5], [0.2, 0.2, 0.6, 0.6], [0, 0, 0, 0]]])
    valid = torch.tensor([[True, True, False]])
    targets = dict(gt_boxes=gt, in_span=valid, frame_mask=torch.ones_like(valid))
    out = head(feats)
    assert out['heatmap'].shape == (1, 3, 8, 8) and out['ltrb'].shape == (1, 3, 4, 8, 8)
    losses = head.loss_by_feat(out, targets)
    out2 = dict(heatmap=out['heatmap'].clone(), ltrb=out['ltrb'].clone())
    out2['heatmap'][0, 2] += 5  # the out-of-span frame does not count
    torch.testing.assert_close(
        head.loss_by_feat(out2, targets)['loss_heatmap'], losses['loss_heatmap'])
    optim = torch.optim.Adam(head.parameters(), lr=1e-2)
    first = None
    for _ in range(15):
        total = sum(head.loss(feats, targets).values())
        first = float(total) if first is None else first
        optim.zero_grad()
        total.backward()
        optim.step()
    assert float(sum(head.loss(feats, targets).values())) < first
