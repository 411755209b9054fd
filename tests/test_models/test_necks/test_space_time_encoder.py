"""TubeDETR's video-text encoder: temporal replication of the slow branch, the fast branch's
residual aggregation, and the masks of every frame's memory."""
import torch

from mmstvg.models.necks import SpaceTimeEncoder

D = 16


def _encoder(**kwargs):
    torch.manual_seed(0)
    enc = SpaceTimeEncoder(
        dict(
            type='StaticBranch',
            embed_dims=D,
            num_encoder_layers=1,
            num_heads=2,
            feedforward_channels=32,
            dropout=0.0),
        stride=3,
        **kwargs)
    enc.init_weights()
    return enc.eval()


def _inputs(b=2, t=7, h=2, w=3, length=4):
    g = torch.Generator().manual_seed(1)
    n = -(-t // 3)
    return dict(
        slow=torch.randn(b * n, D, h, w, generator=g),
        fast=torch.randn(b * t, D, h, w, generator=g),
        text=torch.randn(b, length, D, generator=g),
        text_mask=torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1]]).bool())


def test_replication_and_zero_initialised_aggregation():
    enc = _encoder()
    x = _inputs()
    out = enc(x['slow'], None, x['text'], x['text_mask'], 7, x['fast'], None)
    assert out['memory'].shape == out['memory_pos'].shape == (14, 6 + 4, D)
    assert out['memory_mask'].shape == (14, 10) and out['hw'] == (2, 3)
    # the residual layer starts at zero: frame t's memory is its clip's (t // 3) slow memory
    slow = enc.cross_modal_encoder.encode(x['slow'], None, x['text'].repeat_interleave(3, 0),
                                          x['text_mask'].repeat_interleave(3, 0))
    memory = out['memory'].view(2, 7, 10, D)
    for t in range(7):
        torch.testing.assert_close(memory[:, t], slow['memory'].view(2, 3, 10, D)[:, t // 3])
    # text padding is masked in every frame's memory, no visual position is
    mask = out['memory_mask'].view(2, 7, 10)
    assert mask[0, :, 9].all() and not mask[0, :, :9].any() and not mask[1].any()


def test_fast_branch_aggregation_formula():
    enc = _encoder()
    torch.nn.init.normal_(enc.fast_residual.weight)
    x = _inputs()
    out = enc(x['slow'], None, x['text'], x['text_mask'], 7, x['fast'], None)
    slow = enc.cross_modal_encoder.encode(x['slow'], None, x['text'].repeat_interleave(3, 0),
                                          x['text_mask'].repeat_interleave(3, 0))
    s = slow['memory'].view(2, 3, 10, D)[:, torch.arange(7) // 3]  # (2, 7, 10, D)
    f = x['fast'].flatten(2).transpose(1, 2).view(2, 7, 6, D)
    vis = s[:, :, :6] + enc.fast_residual(s[:, :, :6] + enc.fast_encoder(f))
    memory = out['memory'].view(2, 7, 10, D)
    torch.testing.assert_close(memory[:, :, :6], vis)
    torch.testing.assert_close(memory[:, :, 6:], s[:, :, 6:])  # text tokens: slow branch's


def test_slow_only_uses_the_clip_masks():
    enc = _encoder(with_fast=False)
    assert not hasattr(enc, 'fast_encoder')
    x = _inputs()
    slow_mask = torch.zeros(6, 2, 3, dtype=torch.bool)
    slow_mask[1, :, 2] = True  # clip 1 of video 0: last column padded
    out = enc(x['slow'], slow_mask, x['text'], x['text_mask'], 7)
    mask = out['memory_mask'].view(2, 7, 10)[0, :, :6].view(7, 2, 3)
    assert mask[3:6, :, 2].all() and not mask[:3].any() and not mask[6].any()
