"""CrossModalInteraction (GKCMN Eq. 1) checked by hand."""
import torch
import torch.nn.functional as F

from mmstvg.models.necks import CrossModalInteraction


def test_eq1_by_hand_and_padding():
    torch.manual_seed(0)
    m = CrossModalInteraction(visual_channels=3, text_channels=5, embed_dims=4)
    v = torch.randn(2, 3, 2, 2, 2)
    s = torch.randn(2, 4, 5)
    mask = torch.tensor([[True, True, False, False], [True, True, True, True]])
    out = m(v, s, mask)
    assert out.shape == (2, 8, 2, 2, 2) and m.out_channels == 8

    def conv(x, layer):  # 1x1x1 conv on the channel axis
        return torch.einsum('bcthw,oc->bothw', x, layer.weight[:, :, 0, 0, 0]) + \
            layer.bias[None, :, None, None, None]

    sent = torch.stack([(s[i] @ m.s1.weight.t() + m.s1.bias)[mask[i]].mean(0) for i in range(2)])
    f1 = F.relu(conv(v, m.v1)) * F.relu(sent)[:, :, None, None, None]
    expected = torch.cat([F.relu(conv(f1, m.f2)), F.relu(conv(v, m.v2))], 1)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)
    # padded words change nothing
    s2 = s.clone()
    s2[0, 2:] = 100
    torch.testing.assert_close(m(v, s2, mask), out)


def test_attention_reduction():
    m = CrossModalInteraction(3, 5, 4, text_reduction='attention', out_channels=6)
    out = m(
        torch.randn(1, 3, 2, 2, 2), torch.randn(1, 4, 5), torch.tensor([[True, True, True,
                                                                         False]]))
    assert out.shape == (1, 6, 2, 2, 2) and torch.isfinite(out).all()
