"""STCMTLayer (STVGFormer §1.2, Eq. 1): shapes, masks, and the divided attention."""
import torch

from mmstvg.models.layers import STCMTLayer, safe_key_padding_mask, sine_encoding_1d


def _layer():
    torch.manual_seed(0)
    return STCMTLayer(embed_dims=16, num_heads=2, feedforward_channels=32, dropout=0.0).eval()


def test_shapes():
    layer = _layer()
    vis, text = layer(torch.randn(2, 3, 6, 16), torch.randn(2, 5, 16))
    assert vis.shape == (2, 3, 6, 16) and text.shape == (2, 5, 16)


def test_padded_text_tokens_change_nothing():
    layer = _layer()
    vis = torch.randn(2, 3, 6, 16)
    pos = torch.randn(2, 3, 6, 16)
    text = torch.randn(2, 5, 16)
    mask = torch.ones(2, 5, dtype=torch.bool)
    padded = torch.cat([text, torch.randn(2, 3, 16) * 100], 1)
    padded_mask = torch.cat([mask, torch.zeros(2, 3, dtype=torch.bool)], 1)
    v1, t1 = layer(vis, text, vis_pos=pos, text_mask=mask)
    v2, t2 = layer(vis, padded, vis_pos=pos, text_mask=padded_mask)
    torch.testing.assert_close(v1, v2, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(t1, t2[:, :5], atol=1e-5, rtol=1e-5)


def test_padded_frames_change_nothing():
    layer = _layer()
    vis = torch.randn(1, 3, 6, 16)
    text = torch.randn(1, 4, 16)
    v1, t1 = layer(vis, text, frame_mask=torch.ones(1, 3, dtype=torch.bool))
    padded = torch.cat([vis, torch.randn(1, 2, 6, 16) * 50], 1)
    frame_mask = torch.tensor([[True, True, True, False, False]])
    v2, t2 = layer(padded, text, frame_mask=frame_mask)
    torch.testing.assert_close(v1, v2[:, :3], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(t1, t2, atol=1e-5, rtol=1e-5)


def test_frames_interact_only_through_time():
    """Without the temporal attention, a frame's output would not depend on other frames;
    with it, changing frame 0 changes frame 2's output."""
    layer = _layer()
    vis = torch.randn(1, 3, 6, 16)
    text = torch.randn(1, 4, 16)
    v1, _ = layer(vis, text)
    vis2 = vis.clone()
    vis2[:, 0] += 1.0
    v2, _ = layer(vis2, text)
    assert not torch.allclose(v1[:, 2], v2[:, 2])


def test_spatial_mean_respects_padding():
    vis = torch.arange(2 * 1 * 3 * 1, dtype=torch.float32).view(2, 1, 3, 1)
    mask = torch.tensor([[False, False, True], [False, False, False]])
    out = STCMTLayer.spatial_mean(vis, mask)
    assert out[0, 0, 0] == 0.5 and out[1, 0, 0] == 4.0


def test_helpers():
    enc = sine_encoding_1d(torch.arange(3), 4)
    assert enc.shape == (3, 4)
    torch.testing.assert_close(enc[0], torch.tensor([0., 1., 0., 1.]))
    one = torch.tensor(1.)
    torch.testing.assert_close(enc[1, :2], torch.stack([one.sin(), one.cos()]))
    m = safe_key_padding_mask(torch.tensor([[True, True], [True, False]]))
    assert m.tolist() == [[False, False], [True, False]]
