"""AttnDetrTransformerDecoderLayer: same result as mmdet's layer, plus the weights."""
import torch
from mmdet.models.layers import DetrTransformerDecoderLayer

from mmstvg.models.layers import AttnDetrTransformerDecoderLayer


def test_matches_mmdet_layer_and_returns_weights():
    torch.manual_seed(0)
    cfg = dict(
        self_attn_cfg=dict(embed_dims=16, num_heads=2),
        cross_attn_cfg=dict(embed_dims=16, num_heads=2),
        ffn_cfg=dict(embed_dims=16, feedforward_channels=32))
    ref = DetrTransformerDecoderLayer(**cfg).eval()
    layer = AttnDetrTransformerDecoderLayer(**cfg).eval()
    layer.load_state_dict(ref.state_dict())
    query, qpos = torch.randn(3, 1, 16), torch.randn(3, 1, 16)
    mem, mpos = torch.randn(3, 7, 16), torch.randn(3, 7, 16)
    kpm = torch.zeros(3, 7, dtype=torch.bool)
    kpm[1, 5:] = True
    out, attn = layer(query, key=mem, query_pos=qpos, key_pos=mpos, key_padding_mask=kpm)
    expected = ref(query, key=mem, value=mem, query_pos=qpos, key_pos=mpos, key_padding_mask=kpm)
    torch.testing.assert_close(out, expected)
    assert attn.shape == (3, 1, 7)
    torch.testing.assert_close(attn.sum(-1), torch.ones(3, 1))
    assert (attn[1, 0, 5:] == 0).all()
