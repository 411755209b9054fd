"""TubeDETR -> mmstvg checkpoint conversion on a fake released checkpoint with the released
key names (antoyang/TubeDETR models/{tubedetr,transformer,backbone,position_encoding}.py) at a
tiny size: every key is mapped or dropped on purpose, the result loads strictly into the tiny
TubeDETR model, and wrong checkpoints are refused with messages naming the keys. (Equality of
the computations is ``tools/analysis_tools/compare_with_reference.py``'s job.)"""
import argparse
import math
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmdet.models.backbones import ResNet

from mmstvg.models.utils import TubeDETRConversionError, convert_tubedetr
from mmstvg.registry import MODELS
from mmstvg.testing import TINY_ROBERTA, get_tiny_tubedetr_cfg, import_script
from mmstvg.utils import register_all_modules

register_all_modules()
D, FFN, LAYERS, MAX_LEN = 32, 64, 2, 200


def _prefixed(prefix, module):
    return {prefix + k: v.clone() for k, v in module.state_dict().items()}


def _sine_te(max_len, d):
    position = torch.arange(max_len).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d, 2) * (-math.log(10000.0) / d))
    te = torch.zeros(max_len, 1, d)
    te[:, 0, 0::2] = torch.sin(position * div_term)
    te[:, 0, 1::2] = torch.cos(position * div_term)
    return te


def fake_tubedetr_state_dict(seed=0):
    """The released ``checkpoint['model']`` layout for the tiny config, random tensors."""
    from transformers import AutoConfig, AutoModel
    torch.manual_seed(seed)
    sd = {}
    resnet = ResNet(
        depth=18,
        base_channels=8,
        num_stages=2,
        strides=(1, 2),
        dilations=(1, 1),
        out_indices=(1, ))
    sd.update({  # torchvision's names are mmdet's; FrozenBatchNorm2d has no counter
        k: v
        for k, v in _prefixed('backbone.0.body.', resnet).items()
        if not k.endswith('num_batches_tracked')
    })
    sd.update(_prefixed('input_proj.', nn.Conv2d(16, D, 1)))
    cfg = dict(TINY_ROBERTA)
    roberta = AutoModel.from_config(AutoConfig.for_model(cfg.pop('model_type'), **cfg))
    sd.update(_prefixed('transformer.text_encoder.', roberta))  # with pooler.*
    sd['transformer.text_encoder.embeddings.position_ids'] = torch.arange(40)[None]
    sd.update(_prefixed('transformer.resizer.fc.', nn.Linear(32, D)))
    sd.update(_prefixed('transformer.resizer.layer_norm.', nn.LayerNorm(D, eps=1e-12)))
    for i in range(LAYERS):
        p = f'transformer.encoder.layers.{i}.'
        sd.update(_prefixed(p + 'self_attn.', nn.MultiheadAttention(D, 2)))
        sd.update(_prefixed(p + 'linear1.', nn.Linear(D, FFN)))
        sd.update(_prefixed(p + 'linear2.', nn.Linear(FFN, D)))
        for n in ('norm1', 'norm2'):
            sd.update(_prefixed(p + n + '.', nn.LayerNorm(D)))
    for i in range(LAYERS):
        p = f'transformer.decoder.layers.{i}.'
        for n in ('self_attn', 'cross_attn_image'):
            sd.update(_prefixed(p + n + '.', nn.MultiheadAttention(D, 2)))
        sd.update(_prefixed(p + 'linear1.', nn.Linear(D, FFN)))
        sd.update(_prefixed(p + 'linear2.', nn.Linear(FFN, D)))
        for n in ('norm1', 'norm3', 'norm4'):
            sd.update(_prefixed(p + n + '.', nn.LayerNorm(D)))
    sd.update(_prefixed('transformer.decoder.norm.', nn.LayerNorm(D)))
    sd['transformer.time_embed.te'] = _sine_te(MAX_LEN, D)
    sd.update(_prefixed('transformer.fast_encoder.', nn.Linear(D, D)))
    sd.update(_prefixed('transformer.fast_residual.', nn.Linear(D, D)))
    sd['query_embed.weight'] = torch.randn(1, D)
    for i, (a, b) in enumerate([(D, D), (D, D), (D, 4)]):
        sd.update(_prefixed(f'bbox_embed.layers.{i}.', nn.Linear(a, b)))
    for i, (a, b) in enumerate([(D, D), (D, 2)]):
        sd.update(_prefixed(f'sted_embed.layers.{i}.', nn.Linear(a, b)))
    return sd


def _tiny_model():
    return MODELS.build(get_tiny_tubedetr_cfg())


def test_every_key_mapped_and_loaded_strictly():
    src = fake_tubedetr_state_dict()
    ema = {
        k: v + 1 if v.is_floating_point() and not k.endswith('.te') else v
        for k, v in src.items()
    }
    result = convert_tubedetr(dict(model=src, model_ema=ema, epoch=3))
    assert result['source_weights'] == 'model_ema'  # what TubeDETR evaluates with --ema
    model = _tiny_model()
    model.load_state_dict(result['state_dict'], strict=True)
    assert set(result['dropped']) == {
        'transformer.text_encoder.pooler.dense.weight',
        'transformer.text_encoder.pooler.dense.bias',
        'transformer.text_encoder.embeddings.position_ids', 'transformer.time_embed.te'
    }
    assert all(k.endswith('num_batches_tracked') for k in result['added'])
    sd = result['state_dict']
    pairs = [
        ('transformer.decoder.layers.1.cross_attn_image.in_proj_weight',
         'decoder.layers.1.cross_attn.attn.in_proj_weight'),
        ('transformer.decoder.layers.0.norm4.weight', 'decoder.layers.0.norms.2.weight'),
        ('transformer.encoder.layers.1.linear1.bias',
         'encoder.cross_modal_encoder.encoder_layers.1.ffn.layers.0.0.bias'),
        ('transformer.fast_residual.weight', 'encoder.fast_residual.weight'),
        ('sted_embed.layers.1.bias', 'temporal_head.layers.1.bias'),
        ('bbox_embed.layers.2.weight', 'spatial_head.box_mlp.layers.2.weight'),
        ('query_embed.weight', 'decoder.query_embed.weight'),
        ('backbone.0.body.layer2.0.downsample.1.running_var',
         'image_backbone.layer2.0.downsample.1.running_var'),
        ('transformer.resizer.layer_norm.bias', 'text_encoder.proj_norm.bias'),
    ]
    for old, new in pairs:
        torch.testing.assert_close(sd[new], ema[old])
    # `model` on request
    plain = convert_tubedetr(dict(model=src, model_ema=ema), weights='model')
    torch.testing.assert_close(plain['state_dict']['image_proj.weight'], src['input_proj.weight'])
    # the checkpoint's time encoding is the one the decoder recomputes
    torch.testing.assert_close(model.decoder.time_enc, src['transformer.time_embed.te'][:, 0])


def test_unknown_and_missing_keys_are_listed():
    src = fake_tubedetr_state_dict()
    src['transformer.fast_encoder.layers.0.linear1.weight'] = torch.zeros(2)  # transformer mode
    src['backbone.1.row_embed.weight'] = torch.zeros(2)  # learned position embedding
    with pytest.raises(TubeDETRConversionError, match='fast_encoder.layers.0.linear1.weight'):
        convert_tubedetr(src)
    src = fake_tubedetr_state_dict()
    del src['transformer.decoder.layers.1.norm3.bias']
    with pytest.raises(TubeDETRConversionError, match=r'decoder.layers.1.\{norm3.bias\}'):
        convert_tubedetr(src)
    src = {k: v for k, v in fake_tubedetr_state_dict().items() if not k.startswith('sted_embed')}
    with pytest.raises(TubeDETRConversionError, match='sted_embed.*start/end head'):
        convert_tubedetr(src)
    src = fake_tubedetr_state_dict()
    src['transformer.time_embed.te'] = src['transformer.time_embed.te'] + 0.1
    with pytest.raises(TubeDETRConversionError, match='time encoding'):
        convert_tubedetr(src)
    src = fake_tubedetr_state_dict()
    src['query_embed.weight'] = torch.randn(5, D)
    with pytest.raises(TubeDETRConversionError, match='5 queries'):
        convert_tubedetr(src)


def test_other_checkpoints_are_refused():
    with pytest.raises(TubeDETRConversionError, match='already uses mmstvg names'):
        convert_tubedetr(_tiny_model().state_dict())
    mdetr = fake_tubedetr_state_dict()
    for k in [k for k in mdetr if k.startswith(('sted_embed', 'transformer.fast_'))]:
        del mdetr[k]
    del mdetr['transformer.time_embed.te']
    mdetr['class_embed.weight'] = torch.zeros(256, D)
    mdetr['transformer.decoder.layers.0.cross_attn_text.in_proj_weight'] = torch.zeros(3 * D, D)
    mdetr['query_embed.weight'] = torch.randn(100, D)
    with pytest.raises(TubeDETRConversionError, match='MDETR checkpoint'):
        convert_tubedetr(dict(model=mdetr))
    with pytest.raises(TubeDETRConversionError, match='no `model` / `model_ema`'):
        convert_tubedetr(dict(optimizer={}, epoch=1))
    # TubeDETR's initialisation from MDETR: partial, the fast branch and start/end head absent
    result = convert_tubedetr(dict(model=mdetr), from_mdetr=True)
    assert set(result['not_provided']) == {
        'transformer.fast_encoder.', 'transformer.fast_residual.', 'sted_embed.layers.'
    }
    assert 'class_embed.weight' in result['dropped']
    torch.testing.assert_close(result['state_dict']['decoder.query_embed.weight'],
                               mdetr['query_embed.weight'][:1])
    missing, unexpected = _tiny_model().load_state_dict(result['state_dict'], strict=False)
    assert not unexpected
    assert {k.split('.')[0] + '.' + k.split('.')[1]
            for k in missing
            } == {'encoder.fast_encoder', 'encoder.fast_residual', 'temporal_head.layers'}


def test_cli_loads_the_released_format_weights_only(tmp_path, capsys):
    """The released files pickle the training args (argparse.Namespace): allowed by the
    weights-only load; a wrong checkpoint stops with a message listing what is missing."""
    cli = import_script('tools/model_converters/tubedetr2mmstvg.py')
    src, dst = str(tmp_path / 'tubedetr.pth'), str(tmp_path / 'out' / 'converted.pth')
    sd = fake_tubedetr_state_dict()
    torch.save(
        dict(model=sd, model_ema=sd, optimizer={}, epoch=9, args=argparse.Namespace(lr=5e-5)), src)
    cli.main([src, dst])
    out = torch.load(dst, map_location='cpu', weights_only=True)
    assert out['meta']['source_weights'] == 'model_ema' and out['meta']['source_epoch'] == 9
    _tiny_model().load_state_dict(out['state_dict'], strict=True)
    assert 'converted' in capsys.readouterr().out
    bad = str(tmp_path / 'bad.pth')
    torch.save(dict(model={'backbone.0.body.conv1.weight': torch.zeros(1)}), bad)
    with pytest.raises(SystemExit, match='not a TubeDETR checkpoint: missing'):
        cli.main([bad, str(tmp_path / 'bad_out.pth')])
    assert not osp.exists(tmp_path / 'bad_out.pth')


def test_cli_checks_the_result_against_a_config(tmp_path):
    cli = import_script('tools/model_converters/tubedetr2mmstvg.py')
    src = str(tmp_path / 'tubedetr.pth')
    torch.save(dict(model=fake_tubedetr_state_dict()), src)
    # the tiny weights do not fit the full-size TubeDETR config: shapes and keys named
    with pytest.raises(SystemExit, match='do not fit the config'):
        cli.main([
            src,
            str(tmp_path / 'x.pth'), '--config',
            'configs/tubedetr/tubedetr_r101-mdetr-pre_16xb1-k4-res352-10e_vidstg.py'
        ])
