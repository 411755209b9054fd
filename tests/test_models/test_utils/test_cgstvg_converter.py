"""The ``cgstvg`` / ``tastvg`` key maps of the STCAT family converter (``stcat2mmstvg.py``).

Every key of a full-size released-format checkpoint is checked by the comparison with the
original code (``tests/test_tools/test_compare_cgta.py``: 1667 CG-STVG keys converted and
loaded strictly); here the rules and the refusals, in milliseconds.
"""
import pytest
import torch

from mmstvg.models.utils.cgstvg_converter import CGSTVGConversionError  # noqa: F401
from mmstvg.models.utils.stcat_converter import (KEY_MAPS, STCATConversionError, convert_stcat,
                                                 stcat_key_to_mmstvg)

CG_RENAMES = {
    'vid.layers.2.blocks.3.attn.relative_position_bias_table':
    'motion_encoder.backbone.layers.2.blocks.3.attn.relative_position_bias_table',
    'vid.downsamples.0.reduction.weight':
    'motion_encoder.backbone.layers.0.downsample.reduction.weight',
    'input_proj2.bias': 'motion_proj.bias',
    'ground_encoder.encoder.norm.weight': 'encoder.norm.weight',
    'ground_encoder.encoder.spatial_layers.5.linear2.bias':
    'encoder.spatial_layers.5.ffn.layers.1.bias',
    'ground_decoder.pos_fc.2.weight': 'decoder.pos_template.2.weight',
    'ground_decoder.time_fc.4.bias': 'decoder.content_template.4.bias',
    'ground_decoder.decoder.layers.1.ca2.output.LayerNorm.bias':
    'decoder.box_layers.1.context_attn.ffn_norm.bias',
    'ground_decoder.decoder.conf.layers.0.weight':
    'decoder.guidance.appearance_conf.layers.0.weight',
    'ground_decoder.decoder.gf_mlp2.layers.1.bias':
    'decoder.guidance.motion_context.layers.1.bias',
    'ground_decoder.time_decoder.layers.3.cross_attn_image.in_proj_weight':
    'decoder.time_layers.3.cross_attn.in_proj_weight',
    'ground_decoder.template_generator.anchor_proj.weight': 'decoder.template.anchor.weight',
    'action_embed.layers.1.bias': 'temporal_head.actionness.1.bias',
}
TA_RENAMES = {
    's_temporal_clas.layer_ca.0.attention.self.query.weight':
    'appearance_sampling.layers.0.q_proj.weight',
    't_temporal_clas.head.bias': 'motion_sampling.head.decoder.bias',
    's_spatial_clas.head.transform.LayerNorm.weight': 'appearance_activation.head.norm.weight',
    't_spatial_clas.layer_ca.1.hidden_intermediate.dense.weight':
    'motion_activation.layers.1.ffn_in.weight',
    'vid.patch_embed.norm.bias': 'motion_encoder.backbone.patch_embed.norm.bias',
}
CG_DROPPED = [
    'ground_decoder.decoder.fuse_linear.weight', 'ground_decoder.decoder.norm2.bias',
    'ground_decoder.decoder.layers.0.ca2.memory_intermediate.dense.weight'
]
TA_DROPPED = [
    's_spatial_clas.class_embedding', 't_temporal_clas.positional_embedding',
    'ground_decoder.decoder.gf_mlp.layers.0.weight',
    's_temporal_clas.layer_ca.1.memory_intermediate.dense.bias'
]


@pytest.mark.parametrize('method,renames', [('cgstvg', CG_RENAMES), ('tastvg', TA_RENAMES)])
def test_renames(method, renames):
    for src, dst in renames.items():
        if method == 'tastvg' and 'template_generator' in src:
            continue
        assert stcat_key_to_mmstvg(src, method) == dst, src


@pytest.mark.parametrize('method,keys', [('cgstvg', CG_DROPPED), ('tastvg', TA_DROPPED)])
def test_unused_modules_are_dropped_by_name(method, keys):
    for key in keys:
        assert KEY_MAPS[method].drop_reason(key), key


@pytest.mark.parametrize('method,keys,hint', [
    ('cgstvg', ['ground_decoder.temp_decoder.layers.0.norm1.weight'], '--method stcat'),
    ('cgstvg', ['s_temporal_clas.layer_ca.0.output.dense.weight'], '--method tastvg'),
    ('tastvg', ['ground_decoder.decoder.conf2.layers.0.weight'], '--method cgstvg'),
    ('tastvg', ['ground_decoder.decoder.layers.0.ca2.output.dense.weight'], '--method cgstvg'),
    ('stcat', ['vid.patch_embed.proj.weight'], '--method cgstvg'),
    ('cgstvg', ['motion_encoder.backbone.patch_embed.proj.weight'], 'already uses mmstvg'),
])
def test_wrong_checkpoints_are_refused_clearly(method, keys, hint):
    state = {k: torch.zeros(1) for k in keys}
    with pytest.raises(STCATConversionError, match=hint):
        convert_stcat({'model': state}, method)


def test_incomplete_checkpoint_names_the_missing_parts():
    state = {'vid.patch_embed.proj.weight': torch.zeros(1)}
    with pytest.raises(STCATConversionError, match='VidSwin|missing'):
        convert_stcat({'model': state}, 'cgstvg')
