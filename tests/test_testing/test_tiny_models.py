"""mmstvg.testing's tiny models are the real configs' models with smaller sizes: the same
components, options and losses (a changed config is what the unit tests build)."""
import pytest

from mmstvg.registry import MODELS
from mmstvg.testing import (BASELINE_CONFIG, BM_CONFIG, GKCMN_CONFIG, STVGFORMER_CONFIG,
                            STVGFORMER_HEATMAP_CONFIG, get_model_cfg, get_tiny_baseline_cfg,
                            get_tiny_gkcmn_cfg, get_tiny_stvgformer_cfg)
from mmstvg.utils import register_all_modules

register_all_modules()

#: Size keys the builders override; everything else comes from the config.
SIZES = {
    'in_channels', 'embed_dims', 'hidden_dims', 'text_channels', 'out_channels', 'feat_channels',
    'map_channels', 'aux_hidden_dims', 'visual_channels', 'num_heads', 'feedforward_channels',
    'num_layers', 'num_encoder_layers', 'num_decoder_layers', 'num_attn_layers', 'vocab_size',
    'base_channels', 'image_channels', 'kernel_size', 'map_size', 'anchor_scales'
}
#: Components the builders replace as a whole (a tiny random encoder / clip backbone).
REPLACED = {'text_encoder', 'video_backbone', 'video_encoder'}


def _flatten(cfg, prefix=''):
    out = {}
    for key, value in cfg.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f'{prefix}{key}.'))
        else:
            out[f'{prefix}{key}'] = list(value) if isinstance(value, tuple) else value
    return out


def _kept(cfg):
    return {
        k: v
        for k, v in _flatten(cfg).items()
        if k.split('.')[-1] not in SIZES and k.split('.')[0] not in REPLACED
    }


@pytest.mark.parametrize('builder,config', [
    (get_tiny_baseline_cfg, BASELINE_CONFIG),
    (get_tiny_stvgformer_cfg, STVGFORMER_CONFIG),
    (lambda: get_tiny_stvgformer_cfg(config=STVGFORMER_HEATMAP_CONFIG), STVGFORMER_HEATMAP_CONFIG),
    (get_tiny_gkcmn_cfg, GKCMN_CONFIG),
    (lambda: get_tiny_gkcmn_cfg(bm=True), BM_CONFIG),
])
def test_tiny_models_are_the_configs_models(builder, config):
    tiny, real = builder(), get_model_cfg(config)
    assert set(tiny) == set(real)
    assert _kept(tiny) == _kept(real)  # types, options, losses and loss weights
    assert any('loss' in k for k in _kept(real))  # the losses are among them
    model = MODELS.build(tiny)
    assert sum(p.numel() for p in model.parameters()) < 2_000_000


def test_get_model_cfg_overrides_and_missing_config():
    cfg = get_model_cfg(STVGFORMER_CONFIG, {'spatial_head.hidden_dims': 8, 'interaction': None})
    assert cfg['spatial_head']['hidden_dims'] == 8 and cfg['interaction'] is None
    assert cfg['spatial_head']['loss_bbox'] == get_model_cfg(
        STVGFORMER_CONFIG)['spatial_head']['loss_bbox']
    with pytest.raises(FileNotFoundError, match='no_such.py'):
        get_model_cfg('stvgformer/no_such.py')
