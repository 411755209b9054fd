"""STCMT (STVGFormer §1.2): projection, space-time positions, layer by layer == whole."""
import torch

from mmstvg.models.necks import STCMT


def test_layerwise_equals_forward():
    torch.manual_seed(0)
    branch = STCMT(
        in_channels=12,
        embed_dims=16,
        num_layers=2,
        layer_cfg=dict(type='STCMTLayer', num_heads=2, feedforward_channels=32,
                       dropout=0.0)).eval()
    feats, text = torch.randn(2, 4, 12, 3, 3), torch.randn(2, 5, 16)
    text_mask = torch.ones(2, 5, dtype=torch.bool)
    frame_mask = torch.tensor([[True] * 4, [True, True, True, False]])
    vis, txt = branch(feats, text, text_mask, frame_mask)
    assert vis.shape == (2, 4, 9, 16) and txt.shape == (2, 5, 16)
    v, pos, smask = branch.prepare(feats)
    assert pos.shape == (2, 4, 9, 16) and smask is None
    # positions differ across time and space
    assert not torch.allclose(pos[0, 0], pos[0, 1])
    assert not torch.allclose(pos[0, 0, 0], pos[0, 0, 1])
    t = text
    for i in range(branch.num_layers):
        v, t = branch.forward_layer(i, v, t, pos, text_mask, frame_mask, smask)
    torch.testing.assert_close(v, vis)
    torch.testing.assert_close(t, txt)
