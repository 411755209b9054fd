"""VidSwinMotionEncoder: the forks' VidSwin-T motion branch on mmaction2's SwinTransformer3D."""
import importlib.util
import os.path as osp

import pytest
import torch

from mmstvg.models.utils.cgstvg_converter import (CGSTVGConversionError, convert_vidswin,
                                                  convert_vidswin_k400, vidswin_key_to_mmstvg)
from mmstvg.registry import MODELS
from mmstvg.utils import register_all_modules

_HELPER = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'cgta_reference.py')
_spec = importlib.util.spec_from_file_location('cgta_reference', _HELPER)
cgta = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cgta)

register_all_modules()
VIDSWIN = 'vidswin/video_swin_transformer.py'


def test_key_map():
    assert vidswin_key_to_mmstvg('vid.patch_embed.proj.weight') == \
        'motion_encoder.backbone.patch_embed.proj.weight'
    assert vidswin_key_to_mmstvg('vid.layers.2.blocks.5.attn.relative_position_index') == \
        'motion_encoder.backbone.layers.2.blocks.5.attn.relative_position_index'
    assert vidswin_key_to_mmstvg('vid.downsamples.1.reduction.weight') == \
        'motion_encoder.backbone.layers.1.downsample.reduction.weight'
    assert vidswin_key_to_mmstvg('vid.norm.weight') is None
    assert vidswin_key_to_mmstvg('vid.layers.0.blocks.0.attn.extra') is None
    assert vidswin_key_to_mmstvg('input_proj2.weight') is None


def test_tiny_encoder_keys_and_shapes():
    """Every key of the mmaction2 backbone is the image of a fork key, and the reverse."""
    enc = MODELS.build(dict(type='VidSwinMotionEncoder')).eval()
    own = {'motion_encoder.' + k for k in enc.state_dict()}
    # the forks' key names, derived from mmstvg's by the documented rule
    fork = {}
    for k, v in enc.state_dict().items():
        k = k[len('backbone.'):]
        if '.downsample.' in k:
            i, rest = k[len('layers.'):].split('.downsample.')
            k = f'downsamples.{i}.{rest}'
        fork['vid.' + k] = v
    converted = convert_vidswin(fork)
    assert set(converted) == own
    with pytest.raises(CGSTVGConversionError, match='unknown keys'):
        convert_vidswin({**fork, 'vid.norm.weight': torch.ones(768)})
    fork.pop('vid.downsamples.2.norm.bias')
    with pytest.raises(CGSTVGConversionError, match='missing keys'):
        convert_vidswin(fork)
    with torch.no_grad():
        out = enc(torch.randn(3, 3, 64, 96))
    assert out.shape == (3, 768, 2, 3)
    assert not any(p.requires_grad for p in enc.parameters())


def test_forward_videos_runs_each_video_on_its_real_frames():
    """A padded batch: every video's real frames are one clip (what it gives alone); without
    padding the batch runs in one pass, with the same result."""
    torch.manual_seed(0)
    enc = MODELS.build(
        dict(
            type='VidSwinMotionEncoder',
            arch=dict(embed_dims=8, depths=[1, 1], num_heads=[1, 1]),
            window_size=(2, 7, 7),
            out_stage=1)).eval()
    imgs = torch.randn(2, 4, 3, 32, 32)
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]])
    with torch.no_grad():
        out = enc.forward_videos(imgs, mask)
        alone = [enc(imgs[0]), enc(imgs[1, :2])]
        full = enc.forward_videos(imgs, torch.ones_like(mask))
    assert out.shape[0] == 6
    torch.testing.assert_close(out, torch.cat(alone))
    torch.testing.assert_close(full[:4], alone[0])
    torch.testing.assert_close(full[4:], enc(imgs[1]))


def test_k400_patch_kernel_summed():
    k400 = {
        'backbone.patch_embed.proj.weight': torch.ones(96, 3, 2, 4, 4),
        'backbone.norm.weight': torch.ones(768),
        'cls_head.fc_cls.weight': torch.ones(400, 768)
    }
    out = convert_vidswin_k400({'state_dict': k400})
    assert list(out) == ['motion_encoder.backbone.patch_embed.proj.weight']
    assert out['motion_encoder.backbone.patch_embed.proj.weight'].shape == (96, 3, 1, 4, 4)
    assert out['motion_encoder.backbone.patch_embed.proj.weight'].max() == 2


@pytest.mark.parametrize('repo', [cgta.CGSTVG_REPO, cgta.TASTVG_REPO], ids=['cgstvg', 'tastvg'])
def test_equal_to_fork_vidswin(repo):
    if not cgta.spec_exists(repo, VIDSWIN):
        pytest.skip('set MMSTVG_CGSTVG_REPO / MMSTVG_TASTVG_REPO to a checkout of the fork')
    ref_mod = cgta.load_models_file(repo, VIDSWIN)
    ref = ref_mod.VideoSwinTransformerBackbone(False, None, True,
                                               **ref_mod.configs['video_swin_t_p4w7']).eval()
    cgta.random_init_(ref, seed=1, scale=0.05)
    sd = {'vid.' + k: v for k, v in ref.state_dict().items()}
    enc = MODELS.build(dict(type='VidSwinMotionEncoder')).eval()
    missing, unexpected = enc.load_state_dict(
        {
            k[len('motion_encoder.'):]: v
            for k, v in convert_vidswin(sd).items()
        }, strict=True)
    assert not missing and not unexpected
    torch.manual_seed(0)
    # 10 frames (two temporal windows, one partial), an odd size: padding in every stage
    frames = torch.randn(10, 3, 100, 132)
    with torch.no_grad():
        expected = ref(frames, len(frames))['3']
        got = enc(frames)
    assert got.shape == expected.shape == (10, 768, 4, 5)
    assert (got - expected).abs().max() <= 1e-4
