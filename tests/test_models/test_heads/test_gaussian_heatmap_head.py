"""GaussianHeatmapHead (GKCMN §2.3): targets, ltrb round trip, decoding, training."""
import torch

from mmstvg.models.heads import GaussianHeatmapHead


def test_gaussian_target_peak_and_single_point():
    head = GaussianHeatmapHead(in_channels=4, map_size=16)
    box = torch.tensor([[0.25, 0.25, 0.75, 0.5]])   # centre (0.5, 0.375) -> cell (8, 6)
    heat, _, reg = head.get_targets(box, 16, 16)
    assert heat[0, 6, 8] == 1 and heat.max() == 1
    assert heat[0, 6, 9] < 1 and heat[0, 6, 11] < heat[0, 6, 9]
    assert reg[0].sum() == 8 * 4 and reg[0, 6, 8] and not reg[0, 0, 0]
    single = GaussianHeatmapHead(in_channels=4, map_size=16, single_point=True)
    heat, _, _ = single.get_targets(box, 16, 16)
    assert heat.sum() == 1 and heat[0, 6, 8] == 1


def test_ltrb_round_trip_and_predict():
    head = GaussianHeatmapHead(in_channels=4, map_size=8)
    box = torch.tensor([[0.1, 0.2, 0.6, 0.9]])
    heat, ltrb, reg = head.get_targets(box, 8, 8)
    decoded = head.decode_ltrb(ltrb)[0]                       # (8, 8, 4)
    torch.testing.assert_close(decoded[reg[0]], box.expand(int(reg.sum()), 4))
    out = dict(heatmap=torch.logit(heat.clamp(1e-4, 1 - 1e-4))[None], ltrb=ltrb[None])
    boxes, scores = head.predict(out)
    torch.testing.assert_close(boxes[0, 0], box[0])
    assert scores.shape == (1, 1)


def test_loss_only_valid_frames_and_training():
    torch.manual_seed(0)
    head = GaussianHeatmapHead(in_channels=4, feat_channels=8, map_size=8, sigma=1.0)
    feats = torch.randn(1, 4, 3, 4, 4)
    gt = torch.tensor([[[0.1, 0.1, 0.5, 0.5], [0.2, 0.2, 0.6, 0.6], [0, 0, 0, 0]]])
    valid = torch.tensor([[True, True, False]])
    out = head(feats)
    assert out['heatmap'].shape == (1, 3, 8, 8) and out['ltrb'].shape == (1, 3, 4, 8, 8)
    losses = head.loss(out, gt, valid)
    out2 = dict(heatmap=out['heatmap'].clone(), ltrb=out['ltrb'].clone())
    out2['heatmap'][0, 2] += 5      # the out-of-span frame does not count
    torch.testing.assert_close(head.loss(out2, gt, valid)['loss_heatmap'],
                               losses['loss_heatmap'])
    optim = torch.optim.Adam(head.parameters(), lr=1e-2)
    first = None
    for _ in range(15):
        total = sum(head.loss(head(feats), gt, valid).values())
        first = float(total) if first is None else first
        optim.zero_grad()
        total.backward()
        optim.step()
    assert float(sum(head.loss(head(feats), gt, valid).values())) < first
