"""The STCAT family converter on tiny generated checkpoints in the released format: every key
renamed or dropped with a reason, wrong checkpoints refused with a clear message."""
import re

import pytest
import torch

from mmstvg.models.utils.stcat_converter import (KEY_MAPS, STCATConversionError, convert_stcat,
                                                 stcat_key_to_mmstvg)
from mmstvg.registry import MODELS
from mmstvg.testing import get_tiny_stcat_cfg, import_script
from mmstvg.utils import register_all_modules

register_all_modules()

# mmstvg name -> the released STCAT name (written independently of the converter's rules)
_BOX = dict(
    self_q_content='sa_qcontent_proj',
    self_q_anchor='sa_qpos_proj',
    self_q_time='sa_qtime_proj',
    self_k_content='sa_kcontent_proj',
    self_k_anchor='sa_kpos_proj',
    self_k_time='sa_ktime_proj',
    self_v='sa_v_proj',
    cross_q_content='ca_qcontent_proj',
    cross_q_anchor='ca_qpos_proj',
    cross_k_content='ca_kcontent_proj',
    cross_k_pos='ca_kpos_proj',
    cross_v='ca_v_proj',
    cross_q_sine='ca_qpos_sine_proj')
_INVERSE = [
    (r'image_backbone\.(.+)', r'vis_encoder.0.body.\1'),
    (r'image_proj\.(.+)', r'input_proj.\1'),
    (r'text_encoder\.model\.(.+)', r'text_encoder.body.\1'),
    (r'text_encoder\.proj\.(.+)', r'text_encoder.resizer.fc.\1'),
    (r'text_encoder\.proj_norm\.(.+)', r'text_encoder.resizer.layer_norm.\1'),
    (r'encoder\.(\w+_layers\.\d+)\.self_attn\.attn\.(.+)',
     r'ground_encoder.encoder.\1.self_attn.\2'),
    (r'encoder\.(\w+_layers\.\d+)\.ffn\.layers\.0\.0\.(.+)',
     r'ground_encoder.encoder.\1.linear1.\2'),
    (r'encoder\.(\w+_layers\.\d+)\.ffn\.layers\.1\.(.+)', r'ground_encoder.encoder.\1.linear2.\2'),
    (r'encoder\.(\w+_layers\.\d+)\.norms\.0\.(.+)', r'ground_encoder.encoder.\1.norm1.\2'),
    (r'encoder\.(\w+_layers\.\d+)\.norms\.1\.(.+)', r'ground_encoder.encoder.\1.norm2.\2'),
    (r'encoder\.frame_token\.(.+)', r'ground_encoder.encoder.frame_cls.\1'),
    (r'encoder\.frame_token_pos\.(.+)', r'ground_encoder.encoder.local_pos_embed.\1'),
    (r'encoder\.video_token\.(.+)', r'ground_encoder.encoder.video_cls.\1'),
    (r'decoder\.template\.(\w+)\.(.+)', r'ground_decoder.template_generator.\1_proj.\2'),
    *[(rf'decoder\.box_layers\.(\d+)\.{a}\.(.+)', rf'ground_decoder.decoder.layers.\1.{b}.\2')
      for a, b in _BOX.items()],
    (r'decoder\.box_layers\.(\d+)\.(self_attn|cross_attn)\.(.+)',
     r'ground_decoder.decoder.layers.\1.\2.\3'),
    (r'decoder\.(box|time)_layers\.(\d+)\.ffn\.layers\.0\.0\.(.+)', r'\1.\2.linear1.\3'),
    (r'decoder\.(box|time)_layers\.(\d+)\.ffn\.layers\.1\.(.+)', r'\1.\2.linear2.\3'),
    (r'decoder\.(box|time)_layers\.(\d+)\.norms\.0\.(.+)', r'\1.\2.norm1.\3'),
    (r'decoder\.(box|time)_layers\.(\d+)\.norms\.1\.(.+)', r'\1.\2.norm3.\3'),
    (r'decoder\.(box|time)_layers\.(\d+)\.norms\.2\.(.+)', r'\1.\2.norm4.\3'),
    (r'decoder\.time_layers\.(\d+)\.self_attn\.(.+)', r'time.\1.self_attn.\2'),
    (r'decoder\.time_layers\.(\d+)\.cross_attn\.(.+)', r'time.\1.cross_attn_image.\2'),
    (r'decoder\.box_norm\.(.+)', r'ground_decoder.decoder.norm.\1'),
    (r'decoder\.anchor_scale\.(.+)', r'ground_decoder.decoder.query_scale.\1'),
    (r'decoder\.anchor_pos\.(.+)', r'ground_decoder.decoder.ref_point_head.\1'),
    (r'decoder\.time_norm\.(.+)', r'ground_decoder.temp_decoder.norm.\1'),
    (r'spatial_head\.box_mlp\.(.+)', r'bbox_embed.\1'),
    (r'temporal_head\.layers\.(.+)', r'temp_embed.layers.\1'),
    (r'temporal_head\.actionness\.(.+)', r'action_embed.layers.\1'),
]


def _released_name(key):
    for pattern, template in _INVERSE:
        if re.fullmatch(pattern, key):
            name = re.sub(pattern, template, key)
            name = re.sub(r'^box\.', 'ground_decoder.decoder.layers.', name)
            return re.sub(r'^time\.', 'ground_decoder.temp_decoder.layers.', name)
    raise KeyError(key)


def _model():
    torch.manual_seed(0)
    return MODELS.build(get_tiny_stcat_cfg())


def _released(model, extras=True):
    """A released-format state dict of ``model``'s weights (with the keys the released
    models carry and mmstvg drops when ``extras``)."""
    own = model.state_dict()
    src = {
        _released_name(k): v.clone()
        for k, v in own.items() if not k.endswith('num_batches_tracked')
    }
    if extras:
        from mmstvg.models.necks.space_time_decoder import time_encoding
        d = model.encoder.embed_dims
        for key in [k for k in src if k.startswith('bbox_embed.')]:
            src['ground_decoder.decoder.' + key] = src[key].clone()
        for i in range(len(model.decoder.box_layers)):
            src[f'ground_decoder.decoder.layers.{i}.ca_qtime_proj.weight'] = torch.ones(d, d)
            src[f'ground_decoder.decoder.layers.{i}.ca_qtime_proj.bias'] = torch.ones(d)
        src['ground_encoder.fusion.weight'] = torch.ones(d, d)
        src['ground_encoder.fusion.bias'] = torch.ones(d)
        h = model.text_encoder.model.config.hidden_size
        src['text_encoder.body.pooler.dense.weight'] = torch.ones(h, h)
        src['text_encoder.body.pooler.dense.bias'] = torch.ones(h)
        src['ground_encoder.encoder.time_embed.te'] = time_encoding(201, d)[:, None]
        src['ground_decoder.time_embed.te'] = time_encoding(201, d)[:, None]
    return src


def test_round_trip_loads_strictly_and_accounts_for_every_key():
    model = _model()
    src = _released(model)

    def shifted(delta):  # other values, the fixed time encodings kept
        return {k: v if k.endswith('.te') else v + delta for k, v in src.items()}

    result = convert_stcat(
        dict(model=shifted(-1), model_ema=shifted(1), optimizer={}, iteration=10))
    assert result['source_weights'] == 'model_ema'
    renamed = {stcat_key_to_mmstvg(k) for k in src if k not in result['dropped']}
    assert renamed == {k for k in result['state_dict'] if not k.endswith('num_batches_tracked')}
    assert len(result['dropped']) + len(renamed) == len(src)
    reasons = set(result['dropped'].values())
    assert any('template generator' in r for r in reasons)
    assert any('FROM_SCRATCH' in r for r in reasons)
    fresh = _model()
    fresh.load_state_dict(result['state_dict'], strict=True)
    for key, value in fresh.state_dict().items():
        if not key.endswith('num_batches_tracked'):
            torch.testing.assert_close(value, model.state_dict()[key] + 1)


def test_wrong_checkpoints_are_refused_clearly():
    src = _released(_model())
    cases = [
        (dict(src, **{'vid.patch_embed.proj.weight': torch.ones(1)}), '--method cgstvg'),
        (dict(src, **{'input_proj2.weight': torch.ones(1)}), 'CG-STVG or TA-STVG'),
        ({
            'transformer.decoder.layers.0.norm1.weight': torch.ones(1),
            'backbone.0.body.conv1.weight': torch.ones(1)
        }, 'tubedetr2mmstvg'),
        ({
            k: v
            for k, v in src.items() if not k.startswith('action_embed.')
        }, 'actionness'),
        ({
            k: v
            for k, v in src.items()
            if not k.startswith('ground_decoder.temp_decoder.layers.1.norm3')
        }, 'incomplete'),
        (dict(
            src, **{
                f'ground_decoder.decoder.layers.{i}.cross_attn_image.in_proj_weight': torch.ones(1)
                for i in range(2)
            }), 'no stcat rule'),
        (dict(src, **{'ground_decoder.decoder.bbox_embed.layers.0.bias':
                      torch.zeros(32) + 3}), 'differs'),
        (dict(src, **{'ground_decoder.time_embed.te': torch.ones(201, 1, 32)}), 'sine'),
        (dict(model={'encoder.spatial_layers.0.norms.0.weight': torch.ones(1)}), 'mmstvg names'),
        (dict(optimizer={}), 'no `model`'),
    ]
    for checkpoint, message in cases:
        with pytest.raises(STCATConversionError, match=re.escape(message)):
            convert_stcat(checkpoint)
    with pytest.raises(ValueError, match='unknown method'):
        convert_stcat(src, method='nope')


def test_fork_key_maps_extend_stcat():
    fork = KEY_MAPS['stcat'].extended('fork', rules=[(r'vid\.(.+)', r'motion.\1')], foreign=[])
    assert fork.rename('vid.a.weight') == 'motion.a.weight'
    assert fork.rename('input_proj.weight') == 'image_proj.weight'
    assert fork.drop_reason('ground_encoder.fusion.weight')


def test_cli_checks_the_config(tmp_path):
    cfg = 'configs/stcat/stcat_r18-c16-tiny_1xb8-t32-8e_synth.py'
    from mmengine.config import Config

    from mmstvg.testing import strip_pretrained
    torch.manual_seed(0)
    model = MODELS.build(strip_pretrained(Config.fromfile(cfg).model.to_dict()))
    src = tmp_path / 'released.pth'
    torch.save(dict(model=_released(model), iteration=3), src)
    converter = import_script('tools/model_converters/stcat2mmstvg.py')
    dst = tmp_path / 'converted.pth'
    converter.main([str(src), str(dst), '--method', 'stcat', '--config', cfg])
    out = torch.load(dst, map_location='cpu', weights_only=True)
    assert out['meta']['method'] == 'stcat' and out['meta']['source_weights'] == 'model'
    model.load_state_dict(out['state_dict'], strict=True)
    bad = tmp_path / 'tubedetr.pth'
    torch.save(dict(model={'transformer.encoder.layers.0.norm1.weight': torch.ones(1)}), bad)
    with pytest.raises(SystemExit, match='TubeDETR'):
        converter.main([str(bad), str(tmp_path / 'x.pth'), '--method', 'stcat'])
