"""VideoClipEncoder: one clip feature per sampled frame from an mmaction2 3-D backbone."""
import pytest
import torch

from mmstvg.registry import MODELS
from mmstvg.testing import TINY_SLOWFAST_BACKBONE, TINY_VIDEO_BACKBONE
from mmstvg.utils import register_all_modules

register_all_modules()

TINY_SLOWFAST = dict(type='VideoClipEncoder', backbone=TINY_SLOWFAST_BACKBONE)


@pytest.mark.parametrize('cfg,channels', [(TINY_SLOWFAST, 16 + 4), (TINY_VIDEO_BACKBONE, 16)])
@pytest.mark.parametrize('num_frames', [8, 12, 16])
def test_one_feature_per_frame(cfg, channels, num_frames):
    torch.manual_seed(0)
    enc = MODELS.build(cfg)
    assert enc.out_channels == channels
    out = enc(torch.randn(2, num_frames, 3, 32, 32))
    assert out.shape == (2, num_frames, channels, 4, 4)


def test_slow_features_repeat_within_a_slow_clip_and_frames_matter():
    torch.manual_seed(0)
    enc = MODELS.build(TINY_SLOWFAST).eval()
    x = torch.randn(1, 8, 3, 32, 32)
    with torch.no_grad():
        out = enc(x)
        # the slow pathway (first 16 channels) sees every 4th frame: nearest resampling
        # gives frames 0 and 1 the same slow feature
        torch.testing.assert_close(out[0, 0, :16], out[0, 1, :16])
        assert not torch.allclose(out[0, 0, 16:], out[0, 1, 16:])  # fast: per frame
        x2 = x.clone()
        x2[:, 5] += 1
        out2 = enc(x2)
    assert not torch.allclose(out[0, 5], out2[0, 5])


def test_gradients_and_frame_chunk():
    torch.manual_seed(0)
    enc = MODELS.build(dict(TINY_VIDEO_BACKBONE, frame_chunk=4))
    x = torch.randn(1, 8, 3, 32, 32, requires_grad=True)
    enc(x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    enc.eval()
    with torch.no_grad():
        assert enc(x).shape == (1, 8, 16, 4, 4)


def test_spatial_size():
    enc = MODELS.build(dict(TINY_SLOWFAST, spatial_size=(2, 2)))
    assert enc(torch.randn(1, 8, 3, 32, 32)).shape == (1, 8, 20, 2, 2)


def test_pretrained_ava_style_checkpoint(tmp_path):
    """An mmaction2 detector checkpoint (``backbone.*`` + head keys) loads through the
    encoder's ``init_cfg``."""
    torch.manual_seed(0)
    src = MODELS.build(TINY_SLOWFAST)
    state = {
        k: v.clone() + 1.0 if v.is_floating_point() else v
        for k, v in src.state_dict().items()
    }
    state['roi_head.bbox_head.fc_cls.weight'] = torch.zeros(3, 20)
    ckpt = tmp_path / 'ava.pth'
    torch.save(dict(state_dict=state), ckpt)
    enc = MODELS.build(dict(TINY_SLOWFAST, init_cfg=dict(type='Pretrained', checkpoint=str(ckpt))))
    enc.init_weights()
    for key, value in enc.state_dict().items():
        torch.testing.assert_close(value, state[key], msg=key)


def test_norm_eval_keeps_pretrained_bn_statistics_while_training():
    """norm_eval=True: a training-mode forward leaves every BN's running statistics as they
    were (eval-mode BN), the weights still get gradients; without it they move."""
    from torch.nn.modules.batchnorm import _BatchNorm
    torch.manual_seed(0)
    x = torch.randn(1, 8, 3, 32, 32)
    for norm_eval in (True, False):
        enc = MODELS.build(dict(TINY_SLOWFAST, norm_eval=norm_eval)).train()
        bns = [m for m in enc.backbone.modules() if isinstance(m, _BatchNorm)]
        assert bns and all(m.training != norm_eval for m in bns)
        before = [m.running_mean.clone() for m in bns]
        enc(x).sum().backward()
        moved = [not torch.equal(b, m.running_mean) for b, m in zip(before, bns)]
        assert (not any(moved)) if norm_eval else all(moved)
        assert all(p.grad is not None for p in enc.parameters() if p.requires_grad)
