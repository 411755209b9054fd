"""TubeDETR's space-time decoder: the time encoding, the per-layer outputs through the shared
norm, temporal self-attention over the real frames only, time-aligned cross-attention."""
import math

import torch

from mmstvg.models.necks import SpaceTimeDecoder
from mmstvg.models.necks.space_time_decoder import time_encoding

D = 16


def _decoder(**kwargs):
    torch.manual_seed(0)
    return SpaceTimeDecoder(
        embed_dims=D, num_layers=2, num_heads=2, feedforward_channels=32, dropout=0.0,
        **kwargs).eval()


def test_time_encoding():
    te = time_encoding(50, D)
    for t in (0, 7, 49):
        for i in range(D // 2):
            w = math.exp(-2 * i * math.log(10000.0) / D)
            assert abs(te[t, 2 * i] - math.sin(t * w)) < 1e-5
            assert abs(te[t, 2 * i + 1] - math.cos(t * w)) < 1e-5
    dec = _decoder(max_len=50)
    pos = dec.query_pos(2, 7)
    torch.testing.assert_close(pos[1], dec.query_embed.weight + te[:7])
    assert not any('time_enc' in k for k in dec.state_dict())  # recomputed, not saved


def test_outputs_and_padding():
    dec = _decoder()
    g = torch.Generator().manual_seed(2)
    b, t, s = 2, 6, 5
    memory = torch.randn(b * t, s, D, generator=g)
    pos = torch.randn(b * t, s, D, generator=g)
    mem_mask = torch.zeros(b * t, s, dtype=torch.bool)
    frame_mask = torch.tensor([[True] * 6, [True] * 4 + [False] * 2])
    out = dec(memory, pos, mem_mask, frame_mask, need_cross_weights=True)
    assert out['queries'].shape == (2, b, t, D)
    assert out['self_attn'].shape == (2, b, t, t) and out['cross_attn'].shape == (2, b * t, s)
    # every layer's output went through the final LayerNorm (initialised to 1, 0)
    q = out['queries']
    torch.testing.assert_close(q.mean(-1), torch.zeros(q.shape[:-1]), atol=1e-5, rtol=0)
    torch.testing.assert_close(
        q.var(-1, unbiased=False), torch.ones(q.shape[:-1]), atol=1e-3, rtol=0)
    # padded frames get no attention, rows sum to one
    assert out['self_attn'][:, 1, :, 4:].abs().max() == 0
    torch.testing.assert_close(out['self_attn'].sum(-1), torch.ones(2, b, t))
    # the real frames of video 1 do not depend on its padded frames' memory
    memory2 = memory.clone()
    memory2[t + 4:] = torch.randn(2, s, D, generator=g)
    out2 = dec(memory2, pos, mem_mask, frame_mask)
    torch.testing.assert_close(out2['queries'][:, 1, :4], out['queries'][:, 1, :4])
    # time-aligned: frame 0's query only reads frame 0's memory
    memory3 = memory.clone()
    memory3[1] += 1.0
    out3 = dec(memory3, pos, mem_mask, frame_mask)
    changed = (out3['queries'][0, 0] - out['queries'][0, 0]).abs().amax(-1)
    assert changed[1] > 0.1 and torch.all(changed[[0, 2, 3, 4, 5]] < 1e-5)  # first layer
