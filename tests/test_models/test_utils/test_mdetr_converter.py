"""MDETR -> mmstvg checkpoint conversion (STVGFormer §2.1), on a fake MDETR state dict with the
real MDETR key names (ashkamath/mdetr models/{mdetr,transformer,backbone}.py) at a tiny size:
the converted dict loads into modules built like STVGFormer's static branch with nothing
unexpected, and the loaded mmdet layers compute what MDETR's layers compute."""
import argparse
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.models.backbones import ResNet
from mmdet.models.layers import MLP, DetrTransformerDecoderLayer, DetrTransformerEncoderLayer

from mmstvg.models.text_encoders import HFTextEncoder
from mmstvg.models.utils import convert_mdetr

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CLI = osp.join(REPO, 'tools/model_converters/mdetr2mmstvg.py')
D, HEADS, FFN, NUM_LAYERS, NUM_QUERIES = 32, 2, 64, 2, 100
ROBERTA = dict(
    model_type='roberta',
    vocab_size=64,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=48,
    max_position_embeddings=40,
    hidden_dropout_prob=0.0,
    attention_probs_dropout_prob=0.0,
    pad_token_id=1)
EXTRA_KEYS = ('class_embed.weight', 'class_embed.bias',
              'contrastive_align_projection_image.weight',
              'contrastive_align_projection_image.bias',
              'contrastive_align_projection_text.weight', 'contrastive_align_projection_text.bias')


def _tiny_resnet():
    return ResNet(depth=50, base_channels=8, init_cfg=None)


def _prefixed(prefix, module):
    return {prefix + k: v for k, v in module.state_dict().items()}


def fake_mdetr_state_dict(seed=0):
    """MDETR's ``checkpoint['model']`` for a tiny config, every tensor random."""
    from transformers import AutoConfig, AutoModel
    sd = {}
    # backbone.0 = torchvision ResNet (same names as mmdet's) with FrozenBatchNorm2d buffers.
    sd.update({
        k: v
        for k, v in _prefixed('backbone.0.body.', _tiny_resnet()).items()
        if not k.endswith('num_batches_tracked')
    })
    sd.update(_prefixed('input_proj.', nn.Conv2d(256, D, 1)))
    cfg = dict(ROBERTA)
    roberta = AutoModel.from_config(AutoConfig.for_model(cfg.pop('model_type'), **cfg))
    sd.update(_prefixed('transformer.text_encoder.', roberta))  # includes pooler.*
    # transformers < 4.31 (MDETR's) saved this buffer in the state dict.
    sd['transformer.text_encoder.embeddings.position_ids'] = torch.arange(40)[None]
    sd.update(_prefixed('transformer.resizer.fc.', nn.Linear(32, D)))
    sd.update(_prefixed('transformer.resizer.layer_norm.', nn.LayerNorm(D, eps=1e-12)))
    for i in range(NUM_LAYERS):
        p = f'transformer.encoder.layers.{i}.'
        sd.update(_prefixed(p + 'self_attn.', nn.MultiheadAttention(D, HEADS)))
        sd.update(_prefixed(p + 'linear1.', nn.Linear(D, FFN)))
        sd.update(_prefixed(p + 'linear2.', nn.Linear(FFN, D)))
        for n in ('norm1', 'norm2'):
            sd.update(_prefixed(p + n + '.', nn.LayerNorm(D)))
    for i in range(NUM_LAYERS):
        p = f'transformer.decoder.layers.{i}.'
        for n in ('self_attn', 'cross_attn_image'):
            sd.update(_prefixed(p + n + '.', nn.MultiheadAttention(D, HEADS)))
        sd.update(_prefixed(p + 'linear1.', nn.Linear(D, FFN)))
        sd.update(_prefixed(p + 'linear2.', nn.Linear(FFN, D)))
        for n in ('norm1', 'norm3', 'norm4'):
            sd.update(_prefixed(p + n + '.', nn.LayerNorm(D)))
    sd.update(_prefixed('transformer.decoder.norm.', nn.LayerNorm(D)))
    sd['query_embed.weight'] = torch.empty(NUM_QUERIES, D)
    for j, (i, o) in enumerate([(D, D), (D, D), (D, 4)]):
        sd.update(_prefixed(f'bbox_embed.layers.{j}.', nn.Linear(i, o)))
    sd.update(_prefixed('class_embed.', nn.Linear(D, 256)))
    sd.update(_prefixed('contrastive_align_projection_image.', nn.Linear(D, 64)))
    sd.update(_prefixed('contrastive_align_projection_text.', nn.Linear(D, 64)))
    g = torch.Generator().manual_seed(seed)
    for k, v in sd.items():
        if v.is_floating_point():
            sd[k] = torch.randn(v.shape, generator=g) * 0.2
            if k.endswith('running_var'):
                sd[k] = sd[k].abs() + 0.5
    return sd


class StandIn(nn.Module):
    """The STVGFormer parts an MDETR checkpoint initialises, with the model's names."""

    def __init__(self):
        super().__init__()
        self.image_backbone = _tiny_resnet()
        self.image_proj = nn.Conv2d(256, D, 1)
        self.text_encoder = HFTextEncoder(config=ROBERTA, out_channels=D, proj_norm=True)
        attn = dict(embed_dims=D, num_heads=HEADS, dropout=0.0, batch_first=True)
        ffn = dict(embed_dims=D, feedforward_channels=FFN, ffn_drop=0.0)
        self.static_branch = nn.Module()
        self.static_branch.encoder_layers = nn.ModuleList(
            DetrTransformerEncoderLayer(self_attn_cfg=dict(attn), ffn_cfg=dict(ffn))
            for _ in range(NUM_LAYERS))
        self.static_branch.decoder_layers = nn.ModuleList(
            DetrTransformerDecoderLayer(
                self_attn_cfg=dict(attn), cross_attn_cfg=dict(attn), ffn_cfg=dict(ffn))
            for _ in range(NUM_LAYERS))
        self.static_branch.decoder_norm = nn.LayerNorm(D)
        self.static_branch.query_embed = nn.Embedding(1, D)
        self.spatial_head = nn.Module()
        self.spatial_head.box_mlp = MLP(D, D, 4, 3)


def _load(converted):
    model = StandIn().eval()
    result = model.load_state_dict(converted, strict=False)
    return model, result


def _mha(sd, prefix):
    mha = nn.MultiheadAttention(D, HEADS)
    mha.load_state_dict({k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)})
    return mha.eval()


def _ln(sd, prefix, x):
    return F.layer_norm(x, (D, ), sd[prefix + 'weight'], sd[prefix + 'bias'])


def _ffn(sd, prefix, x):
    h = F.relu(F.linear(x, sd[prefix + 'linear1.weight'], sd[prefix + 'linear1.bias']))
    return F.linear(h, sd[prefix + 'linear2.weight'], sd[prefix + 'linear2.bias'])


def test_converted_dict_loads_into_static_branch_names():
    mdetr = fake_mdetr_state_dict()
    converted, skipped = convert_mdetr({'model': mdetr, 'epoch': 3})  # raw checkpoint
    model, result = _load(converted)
    assert result.unexpected_keys == []
    # torch's BatchNorm fills in an absent num_batches_tracked itself, so this is usually [].
    assert all(
        k.startswith('image_backbone.') and k.endswith('.num_batches_tracked')
        for k in result.missing_keys), result.missing_keys
    state = model.state_dict()
    for k, v in converted.items():
        assert torch.equal(state[k], v), k

    dec1 = 'static_branch.decoder_layers.1.'
    src1 = 'transformer.decoder.layers.1.'
    assert torch.equal(state[dec1 + 'cross_attn.attn.in_proj_weight'],
                       mdetr[src1 + 'cross_attn_image.in_proj_weight'])
    assert torch.equal(state[dec1 + 'self_attn.attn.out_proj.bias'],
                       mdetr[src1 + 'self_attn.out_proj.bias'])
    assert torch.equal(state[dec1 + 'norms.1.weight'], mdetr[src1 + 'norm3.weight'])
    assert torch.equal(state[dec1 + 'norms.2.weight'], mdetr[src1 + 'norm4.weight'])
    assert torch.equal(state['static_branch.encoder_layers.0.ffn.layers.0.0.weight'],
                       mdetr['transformer.encoder.layers.0.linear1.weight'])
    assert torch.equal(state['static_branch.query_embed.weight'], mdetr['query_embed.weight'][:1])
    assert torch.equal(state['image_backbone.layer1.0.downsample.1.running_var'],
                       mdetr['backbone.0.body.layer1.0.downsample.1.running_var'])
    assert torch.equal(state['text_encoder.proj_norm.weight'],
                       mdetr['transformer.resizer.layer_norm.weight'])
    query = 'encoder.layer.1.attention.self.query.weight'
    assert torch.equal(state['text_encoder.model.' + query],
                       mdetr['transformer.text_encoder.' + query])
    assert torch.equal(state['spatial_head.box_mlp.layers.2.bias'],
                       mdetr['bbox_embed.layers.2.bias'])

    assert set(skipped) == {
        'transformer.text_encoder.pooler.dense.weight',
        'transformer.text_encoder.pooler.dense.bias',
        'transformer.text_encoder.embeddings.position_ids', *EXTRA_KEYS
    }
    assert len(converted) + len(skipped) == len(mdetr)


def test_loaded_layers_compute_mdetr_post_norm_layers():
    """The mmdet layers, loaded from MDETR weights, match MDETR's forward_post equations."""
    torch.manual_seed(0)
    mdetr = fake_mdetr_state_dict(seed=1)
    model, _ = _load(convert_mdetr(mdetr)[0])
    src, pos = torch.randn(7, 1, D), torch.randn(7, 1, D)  # (HW + L, B, d), MDETR layout
    tgt, qpos = torch.randn(1, 1, D), torch.randn(1, 1, D)
    with torch.no_grad():
        p = 'transformer.encoder.layers.0.'
        x = src + _mha(mdetr, p + 'self_attn.')(src + pos, src + pos, src)[0]
        x = _ln(mdetr, p + 'norm1.', x)
        ref_enc = _ln(mdetr, p + 'norm2.', x + _ffn(mdetr, p, x))
        enc = model.static_branch.encoder_layers[0](
            src.transpose(0, 1), query_pos=pos.transpose(0, 1), key_padding_mask=None)
        assert torch.allclose(enc.transpose(0, 1), ref_enc, atol=1e-5)

        p = 'transformer.decoder.layers.1.'
        y = tgt + _mha(mdetr, p + 'self_attn.')(tgt + qpos, tgt + qpos, tgt)[0]
        y = _ln(mdetr, p + 'norm1.', y)
        y = y + _mha(mdetr, p + 'cross_attn_image.')(y + qpos, src + pos, src)[0]
        y = _ln(mdetr, p + 'norm3.', y)
        ref_dec = _ln(mdetr, p + 'norm4.', y + _ffn(mdetr, p, y))
        dec = model.static_branch.decoder_layers[1](
            tgt.transpose(0, 1),
            key=src.transpose(0, 1),
            value=src.transpose(0, 1),
            query_pos=qpos.transpose(0, 1),
            key_pos=pos.transpose(0, 1))
        assert torch.allclose(dec.transpose(0, 1), ref_dec, atol=1e-5)


def test_num_queries_keep_and_wrappers():
    mdetr = fake_mdetr_state_dict()
    conv, _ = convert_mdetr({'state_dict': {
        'module.' + k: v
        for k, v in mdetr.items()
    }},
                            num_queries_keep=3)
    q = conv['static_branch.query_embed.weight']
    assert torch.equal(q, mdetr['query_embed.weight'][:3])
    assert q.untyped_storage().nbytes() == q.numel() * q.element_size()  # not a view
    with pytest.raises(ValueError, match='only 100 rows'):
        convert_mdetr(mdetr, num_queries_keep=101)
    ema = {k: v + 1 for k, v in mdetr.items() if v.is_floating_point()}
    conv_ema, _ = convert_mdetr({'model': mdetr, 'model_ema': ema}, use_ema=True)
    assert torch.equal(conv_ema['image_proj.bias'], mdetr['input_proj.bias'] + 1)
    with pytest.raises(ValueError, match='model_ema'):
        convert_mdetr({'model': mdetr, 'model_ema': None}, use_ema=True)


@pytest.mark.parametrize('group', [
    'backbone.0.body.', 'transformer.text_encoder.', 'transformer.encoder.layers.',
    'transformer.decoder.layers.'
])
def test_missing_required_group_names_the_key(group):
    mdetr = {k: v for k, v in fake_mdetr_state_dict().items() if not k.startswith(group)}
    with pytest.raises(ValueError, match=f'no key `{group}'):
        convert_mdetr(mdetr)


def test_pre_norm_checkpoint_is_refused():
    mdetr = fake_mdetr_state_dict()
    mdetr['transformer.encoder.norm.weight'] = torch.ones(D)
    with pytest.raises(ValueError, match='pre-norm'):
        convert_mdetr(mdetr)


def _run_cli(*args):
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    return subprocess.run([sys.executable, CLI, *map(str, args)],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=300)


def test_cli_end_to_end(tmp_path):
    from mmengine.runner import load_checkpoint
    mdetr = fake_mdetr_state_dict()
    src = tmp_path / 'mdetr.pth'
    torch.save({'model': mdetr, 'epoch': 39}, src)
    dst = tmp_path / 'out' / 'mdetr_mmstvg.pth'
    proc = _run_cli(src, dst)
    assert proc.returncode == 0, proc.stderr
    expected, skipped = convert_mdetr(mdetr)
    assert f'converted {len(expected)} keys, skipped {len(skipped)}' in proc.stdout
    out = torch.load(dst, map_location='cpu', weights_only=True)
    assert set(out) == {'state_dict', 'meta'}
    assert list(out['state_dict']) == list(expected)
    assert out['meta']['skipped_keys'] == skipped
    assert out['meta']['num_queries_keep'] == 1
    # what init_cfg=dict(type='Pretrained', checkpoint=dst) does.
    model = StandIn()
    load_checkpoint(model, str(dst), map_location='cpu', strict=False)
    assert torch.equal(model.static_branch.decoder_norm.bias,
                       mdetr['transformer.decoder.norm.bias'])


def test_cli_refuses_pickled_namespace_without_unsafe_load(tmp_path):
    src = tmp_path / 'mdetr_with_args.pth'
    torch.save({'model': fake_mdetr_state_dict(), 'args': argparse.Namespace(lr=1e-4)}, src)
    dst = tmp_path / 'out.pth'
    proc = _run_cli(src, dst)
    assert proc.returncode != 0
    assert 'argparse.Namespace' in proc.stderr and '--unsafe-load' in proc.stderr
    assert 'Traceback' not in proc.stderr
    assert not dst.exists()
    proc = _run_cli(src, dst, '--unsafe-load')
    assert proc.returncode == 0, proc.stderr
    assert 'weights_only=False' in proc.stderr
    out = torch.load(dst, map_location='cpu', weights_only=True)
    assert 'static_branch.query_embed.weight' in out['state_dict']


def test_converted_checkpoint_initialises_stvgformer(tmp_path):
    """The converter's output, given as the grounder's ``init_cfg``, fills every
    MDETR-initialised parameter of a real (tiny) STVGFormer."""
    from mmstvg.registry import MODELS
    from mmstvg.testing import get_tiny_stvgformer_cfg
    from mmstvg.utils import register_all_modules
    register_all_modules()
    sd = fake_mdetr_state_dict()
    converted, _ = convert_mdetr(sd)
    ckpt = tmp_path / 'mdetr_mmstvg.pth'
    torch.save(dict(state_dict=converted), ckpt)
    cfg = get_tiny_stvgformer_cfg(
        embed_dims=D,
        num_layers=NUM_LAYERS,
        text_encoder=dict(type='HFTextEncoder', config=ROBERTA, proj_norm=True))
    cfg['image_backbone'] = dict(
        type='mmdet.ResNet', depth=50, base_channels=8, out_indices=(3, ), init_cfg=None)
    cfg['image_channels'] = 256
    cfg['init_cfg'] = dict(type='Pretrained', checkpoint=str(ckpt))
    model = MODELS.build(cfg)
    model.init_weights()
    state = model.state_dict()
    assert not set(converted) - set(state)
    for key, value in converted.items():
        torch.testing.assert_close(state[key], value, msg=key)
    torch.testing.assert_close(
        model.static_branch.decoder_layers[1].cross_attn.attn.in_proj_weight,
        sd['transformer.decoder.layers.1.cross_attn_image.in_proj_weight'])
