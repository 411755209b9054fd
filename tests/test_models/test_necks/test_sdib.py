"""SDIB (STVGFormer §1.3, Eq. 2): each direction, switches, and the identity when off."""
import pytest
import torch

from mmstvg.models.necks import SDIB


def _inputs():
    torch.manual_seed(0)
    return torch.randn(2, 3, 6, 16), torch.randn(2, 3, 16), torch.rand(2, 3, 2, 3)


def test_off_is_identity_and_has_no_parameters():
    block = SDIB(16, 2, static_to_dynamic=False, dynamic_to_static=False)
    assert len(list(block.parameters())) == 0
    vis, query, attn = _inputs()
    v, q = block(vis, query, attn, (2, 3))
    assert v is vis and q is query


@pytest.mark.parametrize('s2d,d2s', [(True, False), (False, True), (True, True)])
def test_directions_switch(s2d, d2s):
    block = SDIB(16, 2, dropout=0.0, static_to_dynamic=s2d, dynamic_to_static=d2s).eval()
    vis, query, attn = _inputs()
    v, q = block(vis, query, attn, (2, 3))
    assert v.shape == vis.shape and q.shape == query.shape
    assert (v is vis) != s2d and (q is query) != d2s


def test_static_to_dynamic_is_eq2():
    """LayerNorm(F + A * FC(F)) with FC = identity: A replicated over channels."""
    block = SDIB(4, 1, static_to_dynamic=True, dynamic_to_static=False)
    with torch.no_grad():
        block.s2d_fc.weight.copy_(torch.eye(4))
        block.s2d_fc.bias.zero_()
    vis = torch.tensor([[[[1., 2., 3., 4.], [2., 0., 0., 2.]]]])  # (1, 1, 2, 4)
    attn = torch.tensor([[[[0.25, 0.75]]]])  # (1, 1, 1, 2)
    v, _ = block(vis, torch.zeros(1, 1, 4), attn, (1, 2))
    expected = torch.nn.functional.layer_norm(
        torch.tensor([[1.25, 2.5, 3.75, 5.0], [3.5, 0., 0., 3.5]]), (4, ))
    torch.testing.assert_close(v[0, 0], expected)


def test_attention_resampled_to_dynamic_map():
    block = SDIB(16, 2, static_to_dynamic=True, dynamic_to_static=False)
    vis = torch.randn(1, 2, 4 * 6, 16)
    v, _ = block(vis, torch.zeros(1, 2, 16), torch.rand(1, 2, 2, 3), (4, 6))
    assert v.shape == vis.shape


def test_dynamic_to_static_masks_padded_frames():
    block = SDIB(16, 2, dropout=0.0, static_to_dynamic=False, dynamic_to_static=True).eval()
    vis, query, attn = _inputs()
    fm = torch.tensor([[True, True, False]] * 2)
    _, q1 = block(vis, query, attn, (2, 3), frame_mask=fm)
    vis2, query2 = vis.clone(), query.clone()
    vis2[:, 2] += 10
    query2[:, 2] += 10
    _, q2 = block(vis2, query2, attn, (2, 3), frame_mask=fm)
    torch.testing.assert_close(q1[:, :2], q2[:, :2])
