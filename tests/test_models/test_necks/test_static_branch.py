"""StaticBranch (STVGFormer §1.1): per-frame MDETR encoder-decoder."""
import torch

from mmstvg.models.necks import StaticBranch


def _branch():
    torch.manual_seed(0)
    return StaticBranch(
        embed_dims=16,
        num_encoder_layers=2,
        num_decoder_layers=2,
        num_heads=2,
        feedforward_channels=32,
        dropout=0.0).eval()


def test_shapes_and_attention_maps():
    branch = _branch()
    vis, text = torch.randn(6, 16, 3, 4), torch.randn(6, 5, 16)
    mask = torch.ones(6, 5, dtype=torch.bool)
    enc = branch.encode(vis, None, text, mask)
    assert enc['memory'].shape == (6, 12 + 5, 16) and enc['hw'] == (3, 4)
    query, pos = branch.init_query(6)
    assert query.shape == pos.shape == (6, 1, 16) and (query == 0).all()
    query, attn = branch.decode_layer(0, query, pos, enc)
    assert query.shape == (6, 1, 16) and attn.shape == (6, 3, 4)
    # weights over the visual part of the memory: non-negative, at most 1 in total
    assert (attn >= 0).all() and (attn.flatten(1).sum(1) <= 1 + 1e-6).all()
    assert branch(vis, None, text, mask).shape == (6, 16)


def test_padding_changes_nothing():
    branch = _branch()
    vis, text = torch.randn(2, 16, 3, 4), torch.randn(2, 5, 16)
    mask = torch.ones(2, 5, dtype=torch.bool)
    out = branch(vis, None, text, mask)
    # padded text tokens
    text_p = torch.cat([text, 100 * torch.randn(2, 2, 16)], 1)
    mask_p = torch.cat([mask, torch.zeros(2, 2, dtype=torch.bool)], 1)
    torch.testing.assert_close(branch(vis, None, text_p, mask_p), out, atol=1e-5, rtol=1e-5)
    # padded image columns (DETR mask); the sine encoding is normalised by the unpadded size
    vis_p = torch.cat([vis, 100 * torch.randn(2, 16, 3, 2)], 3)
    vis_mask = torch.zeros(2, 3, 6, dtype=torch.bool)
    vis_mask[..., 4:] = True
    torch.testing.assert_close(branch(vis_p, vis_mask, text, mask), out, atol=1e-5, rtol=1e-5)


def test_frames_are_independent():
    branch = _branch()
    vis, text = torch.randn(3, 16, 3, 4), torch.randn(3, 5, 16)
    mask = torch.ones(3, 5, dtype=torch.bool)
    out = branch(vis, None, text, mask)
    vis2 = vis.clone()
    vis2[0] += 1
    out2 = branch(vis2, None, text, mask)
    assert not torch.allclose(out[0], out2[0])
    torch.testing.assert_close(out[1:], out2[1:])
