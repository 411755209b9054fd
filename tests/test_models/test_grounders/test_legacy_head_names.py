"""Checkpoints saved before every grounder named its heads ``spatial_head`` / ``temporal_head``
(issue 23; STVGFormer's ``bbox_head``, the baseline's ``bbox_head`` / ``span_head``) load into
the renamed models, through torch's ``load_state_dict``, mmengine's ``load_checkpoint`` and a
``Pretrained`` init, also under a wrapper's prefix."""
import pytest
import torch
import torch.nn as nn
from mmengine.runner.checkpoint import load_checkpoint

from mmstvg.registry import MODELS
from mmstvg.testing import get_tiny_baseline_cfg, get_tiny_gkcmn_cfg, get_tiny_stvgformer_cfg
from mmstvg.utils import register_all_modules

register_all_modules()

# (builder, {name now: name then})
CASES = {
    'stvgformer': (lambda: get_tiny_stvgformer_cfg(video_backbone=None, clip_channels=12), {
        'spatial_head': 'bbox_head'
    }),
    'baseline': (get_tiny_baseline_cfg, {
        'spatial_head': 'bbox_head',
        'temporal_head': 'span_head'
    }),
}


def _build(builder, seed):
    torch.manual_seed(seed)
    cfg = builder()
    cfg.pop('data_preprocessor', None)
    return MODELS.build(cfg)


def _old_state_dict(model, renames, prefix=''):
    """The model's state dict as the code before the renaming saved it."""
    state = model.state_dict()
    old = type(state)()
    old._metadata = type(state._metadata)()
    for key, value in state.items():
        head, _, rest = key.partition('.')
        old[prefix + renames.get(head, head) + '.' + rest] = value
    for key, meta in state._metadata.items():
        head, dot, rest = key.partition('.')
        old._metadata[(prefix + renames.get(head, head) + dot + rest).rstrip('.')] = meta
    return old


def _assert_same(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for key in sa:
        assert torch.equal(sa[key], sb[key]), key


@pytest.mark.parametrize('case', list(CASES))
def test_old_names_load_with_torch_load_state_dict(case):
    builder, renames = CASES[case]
    src, dst = _build(builder, 0), _build(builder, 1)
    old = _old_state_dict(src, renames)
    assert any(k.startswith(tuple(f'{v}.' for v in renames.values())) for k in old)
    assert not any(k.startswith(tuple(f'{k}.' for k in renames)) for k in old)
    dst.load_state_dict(old)  # strict: no missing, no unexpected key
    _assert_same(src, dst)
    # the caller's dict is left as it was
    assert set(old) == set(_old_state_dict(src, renames))


@pytest.mark.parametrize('case', list(CASES))
def test_old_checkpoint_loads_with_mmengine(case, tmp_path):
    builder, renames = CASES[case]
    src, dst = _build(builder, 0), _build(builder, 1)
    path = str(tmp_path / 'old.pth')
    torch.save(dict(state_dict=_old_state_dict(src, renames), meta=dict()), path)
    load_checkpoint(dst, path, strict=True)  # load_from / resume / init_grounder path
    _assert_same(src, dst)
    # and as a Pretrained init (STVGFormer's MDETR initialisation loads this way)
    cfg = builder()
    cfg.pop('data_preprocessor', None)
    cfg['init_cfg'] = dict(type='Pretrained', checkpoint=path)
    torch.manual_seed(2)
    pre = MODELS.build(cfg)
    pre.init_weights()
    _assert_same(src, pre)


def test_old_names_load_under_a_wrapper_prefix():
    """EMA / DDP wrappers hold the grounder as ``module``: ``module.bbox_head.*`` loads."""
    builder, renames = CASES['baseline']
    src, dst = _build(builder, 0), _build(builder, 1)
    wrapper = nn.Module()
    wrapper.module = dst
    wrapper.load_state_dict(_old_state_dict(src, renames, prefix='module.'))
    _assert_same(src, dst)


def test_new_names_win_and_gkcmn_is_unchanged():
    """A state dict with the new names loads as it is (the old names are not looked at), and
    GKCMN, whose heads always had the new names, is untouched."""
    builder, renames = CASES['stvgformer']
    src, dst = _build(builder, 0), _build(builder, 1)
    state = src.state_dict()
    stray = {'bbox_head.box_mlp.layers.0.weight': torch.zeros(1)}
    result = dst.load_state_dict(dict(state, **stray), strict=False)
    assert result.unexpected_keys == list(stray) and not result.missing_keys
    _assert_same(src, dst)
    torch.manual_seed(0)
    gkcmn = MODELS.build(get_tiny_gkcmn_cfg())
    state = gkcmn.state_dict()
    assert any(k.startswith('spatial_head.') for k in state)
    gkcmn.load_state_dict(state)
