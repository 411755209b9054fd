"""Key maps of the parts CG-STVG and TA-STVG add to STCAT (the family converter imports them).

Guidance modules (fork key relative to the module -> mmstvg key relative to the module)::

    BertLayer_Cross -> BertCrossLayer
        attention.self.{query,key,value}.*     -> {q,k,v}_proj.*
        attention.output.dense.*               -> out_proj.*
        attention.output.LayerNorm.*           -> attn_norm.*
        hidden_intermediate.dense.*            -> ffn_in.*
        output.dense.* / output.LayerNorm.*    -> ffn_out.* / ffn_norm.*
        memory_intermediate.dense.*            dropped (built, never used by the forks)
    BertLMPredictionHead -> BertPredictionHead
        transform.dense.* / transform.LayerNorm.* -> dense.* / norm.*
        decoder.weight / bias                  -> decoder.weight / decoder.bias
    TA-STVG TemporalSampling / SpatialActivation -> TextGuidedTemporalSampling /
    AttributeSpatialActivation
        layer_ca.{i}.<BertLayer_Cross>         -> layers.{i}.<BertCrossLayer>
        head.<BertLMPredictionHead>            -> head.<BertPredictionHead>
        class_embedding, positional_embedding  dropped (never used)
    CG-STVG PosDecoder's guidance -> InstanceContextGuidance
        conf.layers.{i}.* / conf2.layers.{i}.* -> appearance_conf / motion_conf .layers.{i}.*
        gf_mlp.layers.{i}.* / gf_mlp2.*        -> appearance_context / motion_context .layers.{i}.*
        fuse_linear.*, norm2.*                 dropped (never used)

VidSwin-T motion branch (the forks' ``vid.*``, ``models/vidswin/video_swin_transformer.py``)
-> :class:`~mmstvg.models.backbones.VidSwinMotionEncoder` (``<dst>backbone.*``, mmaction2's
``SwinTransformer3D``)::

    vid.patch_embed.{proj,norm}.*              -> backbone.patch_embed.{proj,norm}.*
    vid.layers.{i}.blocks.{j}.<p>              -> backbone.layers.{i}.blocks.{j}.<p>
        <p> in norm1.*, norm2.*, mlp.fc1.*, mlp.fc2.*, attn.qkv.*, attn.proj.*,
               attn.relative_position_bias_table, attn.relative_position_index (a buffer,
               copied; it is the same index as mmaction2's own)
    vid.downsamples.{i}.{reduction,norm}.*     -> backbone.layers.{i}.downsample.{reduction,norm}.*

(the forks move each stage's patch merging out of the stage into ``downsamples``; they have
no output norm). Every tensor is copied as is. The pretrained Kinetics-400 Swin-T of the
forks' training (mmaction2's ``backbone.*`` checkpoint with a (2, 4, 4) patch) loads with
:func:`convert_vidswin_k400`, which sums the patch kernel over time as the forks do.
"""
import re
from collections import OrderedDict
from typing import Dict, Mapping, Optional, Sequence

import torch

__all__ = [
    'CGSTVGConversionError', 'vidswin_key_to_mmstvg', 'convert_vidswin', 'convert_vidswin_k400',
    'DROPPED', 'bert_cross_layer_key', 'prediction_head_key', 'ta_classifier_key',
    'context_guidance_key', 'convert_part'
]


class CGSTVGConversionError(ValueError):
    """A checkpoint that is not (or not all) the expected CG-STVG / TA-STVG weights."""


_BLOCK_PARAMS = ('norm1.weight', 'norm1.bias', 'norm2.weight', 'norm2.bias', 'mlp.fc1.weight',
                 'mlp.fc1.bias', 'mlp.fc2.weight', 'mlp.fc2.bias', 'attn.qkv.weight',
                 'attn.qkv.bias', 'attn.proj.weight', 'attn.proj.bias',
                 'attn.relative_position_bias_table', 'attn.relative_position_index')
_MERGE_PARAMS = ('reduction.weight', 'norm.weight', 'norm.bias')
_EMBED_PARAMS = ('proj.weight', 'proj.bias', 'norm.weight', 'norm.bias')
_BLOCK_RE = re.compile(r'^layers\.(\d+)\.blocks\.(\d+)\.(.+)$')
_MERGE_RE = re.compile(r'^downsamples\.(\d+)\.(.+)$')
_EMBED_RE = re.compile(r'^patch_embed\.(.+)$')


def vidswin_key_to_mmstvg(key: str,
                          src_prefix: str = 'vid.',
                          dst_prefix: str = 'motion_encoder.') -> Optional[str]:
    """mmstvg name of one of the forks' VidSwin keys, or None if it is not one.

    Args:
        key (str): e.g. ``vid.downsamples.0.reduction.weight``.
        src_prefix (str): the branch's prefix in the fork's state dict.
        dst_prefix (str): the :class:`VidSwinMotionEncoder`'s prefix in mmstvg's model.
    """
    if not key.startswith(src_prefix):
        return None
    rest = key[len(src_prefix):]
    dst = dst_prefix + 'backbone.'
    m = _EMBED_RE.match(rest)
    if m and m.group(1) in _EMBED_PARAMS:
        return dst + rest
    m = _BLOCK_RE.match(rest)
    if m and m.group(3) in _BLOCK_PARAMS:
        return dst + rest
    m = _MERGE_RE.match(rest)
    if m and m.group(2) in _MERGE_PARAMS:
        return f'{dst}layers.{m.group(1)}.downsample.{m.group(2)}'
    return None


def _expected_keys(depths=(2, 2, 6, 2)):
    keys = ['patch_embed.' + p for p in _EMBED_PARAMS]
    for i, depth in enumerate(depths):
        keys += [f'layers.{i}.blocks.{j}.{p}' for j in range(depth) for p in _BLOCK_PARAMS]
        if i < len(depths) - 1:
            keys += [f'downsamples.{i}.{p}' for p in _MERGE_PARAMS]
    return keys


def convert_vidswin(
    state_dict: Mapping,
    src_prefix: str = 'vid.',
    dst_prefix: str = 'motion_encoder.',
    depths: Sequence[int] = (2, 2, 6, 2)
) -> Dict[str, torch.Tensor]:
    """Rename the forks' VidSwin keys (those under ``src_prefix``) to mmstvg's.

    Every key under ``src_prefix`` must be a VidSwin-T key and every VidSwin-T key must be
    there (``depths`` gives the architecture); otherwise :class:`CGSTVGConversionError`
    lists the offending keys. Keys outside ``src_prefix`` are ignored (the caller maps them).
    """
    out = OrderedDict()
    unknown = []
    for key, value in state_dict.items():
        if not key.startswith(src_prefix):
            continue
        new = vidswin_key_to_mmstvg(key, src_prefix, dst_prefix)
        if new is None:
            unknown.append(key)
        else:
            out[new] = value
    missing = [src_prefix + k for k in _expected_keys(depths)]
    missing = [k for k in missing if k not in state_dict]
    if unknown or missing:
        raise CGSTVGConversionError('not the VidSwin-T motion branch of CG-STVG / TA-STVG: '
                                    f'unknown keys {sorted(unknown)[:20]} ({len(unknown)}), '
                                    f'missing keys {missing[:20]} ({len(missing)})')
    return out


def convert_vidswin_k400(state_dict: Mapping,
                         dst_prefix: str = 'motion_encoder.') -> Dict[str, torch.Tensor]:
    """Kinetics-400 Swin-T (mmaction2 / Video-Swin ``backbone.*`` keys) for the motion branch.

    As the forks' loader: the ``(96, 3, 2, 4, 4)`` patch kernel is summed over time to
    ``(96, 3, 1, 4, 4)``; the classification head and the final ``norm`` (``backbone.norm``
    / ``backbone.norm3``), which the branch does not use, are dropped.
    """
    if 'state_dict' in state_dict:
        state_dict = state_dict['state_dict']
    out = OrderedDict()
    for key, value in state_dict.items():
        if not key.startswith('backbone.'):
            continue
        rest = key[len('backbone.'):]
        if rest.split('.')[0] in ('norm', 'norm3'):
            continue
        if rest == 'patch_embed.proj.weight':
            value = value.sum(dim=2, keepdim=True)
        out[dst_prefix + 'backbone.' + rest] = value
    if not out:
        raise CGSTVGConversionError('no backbone.* keys: not a Video Swin checkpoint')
    return out


# the rename of a key the forks build but never use (dropped on purpose)
DROPPED = ''
_PARAM_NAMES = ('weight', 'bias')
_BERT_CROSS = (('attention.self.query.', 'q_proj.'), ('attention.self.key.', 'k_proj.'),
               ('attention.self.value.', 'v_proj.'), ('attention.output.dense.', 'out_proj.'),
               ('attention.output.LayerNorm.', 'attn_norm.'),
               ('hidden_intermediate.dense.', 'ffn_in.'), ('output.dense.', 'ffn_out.'),
               ('output.LayerNorm.', 'ffn_norm.'), ('memory_intermediate.dense.', DROPPED))
_PRED_HEAD = {
    'transform.dense.weight': 'dense.weight',
    'transform.dense.bias': 'dense.bias',
    'transform.LayerNorm.weight': 'norm.weight',
    'transform.LayerNorm.bias': 'norm.bias',
    'decoder.weight': 'decoder.weight',
    'bias': 'decoder.bias'
}
_GUIDANCE = (('conf.', 'appearance_conf.'), ('conf2.', 'motion_conf.'),
             ('gf_mlp.', 'appearance_context.'), ('gf_mlp2.', 'motion_context.'))
_MLP_RE = re.compile(r'^layers\.\d+\.(weight|bias)$')


def bert_cross_layer_key(rel: str) -> Optional[str]:
    """``BertLayer_Cross`` key -> ``BertCrossLayer`` key (``DROPPED`` / None: unused / unknown)."""
    for src, dst in _BERT_CROSS:
        if rel.startswith(src) and rel[len(src):] in _PARAM_NAMES:
            return dst and dst + rel[len(src):]
    return None


def prediction_head_key(rel: str) -> Optional[str]:
    """``BertLMPredictionHead`` key -> ``BertPredictionHead`` key (None: unknown)."""
    return _PRED_HEAD.get(rel)


def ta_classifier_key(rel: str) -> Optional[str]:
    """TA-STVG ``TemporalSampling`` / ``SpatialActivation`` key -> mmstvg key."""
    if rel in ('class_embedding', 'positional_embedding'):
        return DROPPED
    m = re.match(r'^layer_ca\.(\d+)\.(.+)$', rel)
    if m:
        new = bert_cross_layer_key(m.group(2))
        return new if not new else f'layers.{m.group(1)}.{new}'
    if rel.startswith('head.'):
        new = prediction_head_key(rel[len('head.'):])
        return new and 'head.' + new
    return None


def context_guidance_key(rel: str) -> Optional[str]:
    """CG-STVG ``PosDecoder`` guidance key -> ``InstanceContextGuidance`` key.

    Only the guidance's own keys; the decoder's other keys give None.
    """
    if rel.split('.')[0] in ('fuse_linear', 'norm2'):
        return DROPPED
    for src, dst in _GUIDANCE:
        if rel.startswith(src) and _MLP_RE.match(rel[len(src):]):
            return dst + rel[len(src):]
    return None


def convert_part(state_dict: Mapping, src_prefix: str, dst_prefix: str, key_fn) -> Dict:
    """Rename every key under ``src_prefix`` with ``key_fn`` (on the key without the prefix).

    Keys ``key_fn`` maps to ``DROPPED`` are left out; a key it does not know is an error
    (:class:`CGSTVGConversionError` listing them). Keys outside ``src_prefix`` are ignored.
    """
    out, unknown = OrderedDict(), []
    for key, value in state_dict.items():
        if not key.startswith(src_prefix):
            continue
        new = key_fn(key[len(src_prefix):])
        if new is None:
            unknown.append(key)
        elif new != DROPPED:
            out[dst_prefix + new] = value
    if unknown:
        raise CGSTVGConversionError(f'unknown keys under {src_prefix!r}: {sorted(unknown)[:20]} '
                                    f'({len(unknown)})')
    return out


# ---------------------------------------------------------------- the family converter's maps
def _regex_rules_vidswin(src: str = r'vid\.', dst: str = 'motion_encoder.backbone.'):
    block = '|'.join(re.escape(p) for p in _BLOCK_PARAMS)
    merge = '|'.join(re.escape(p) for p in _MERGE_PARAMS)
    embed = '|'.join(re.escape(p) for p in _EMBED_PARAMS)
    return [
        (src + rf'patch_embed\.({embed})', dst + r'patch_embed.\1'),
        (src + rf'layers\.(\d+)\.blocks\.(\d+)\.({block})', dst + r'layers.\1.blocks.\2.\3'),
        (src + rf'downsamples\.(\d+)\.({merge})', dst + r'layers.\1.downsample.\2'),
    ]


def _regex_rules_bert_cross(src: str, dst: str):
    rules, dropped = [], []
    for s, d in _BERT_CROSS:
        pattern = src + re.escape(s) + r'(weight|bias)'
        if d:
            rules.append((pattern, dst + d + r'\g<{}>'.format(src.count('(') + 1)))
        else:
            dropped.append((pattern, 'built by the fork, never used (BertLayer_Cross\'s '
                            'memory_intermediate)'))
    return rules, dropped


def _time_decoder_rules(stcat_rules, fork_name: str = 'time_decoder'):
    """STCAT's temporal decoder rules for the forks' ``ground_decoder.time_decoder``."""
    out = []
    for pattern, template in stcat_rules:
        p = pattern.pattern if hasattr(pattern, 'pattern') else pattern
        if p.startswith(r'ground_decoder\.temp_decoder'):
            out.append((p.replace('temp_decoder', fork_name), template))
    return out


def register_cgta_key_maps():
    """Register the ``cgstvg`` and ``tastvg`` maps on the family converter (STCAT's rules
    extended; see :mod:`mmstvg.models.utils.stcat_converter`)."""
    from .stcat_converter import KEY_MAPS, STCAT_RULES, register_key_map
    if 'cgstvg' in KEY_MAPS:
        return
    p = r'(weight|bias)'
    common_rules = [
        *_regex_rules_vidswin(),
        (r'input_proj2\.' + p, r'motion_proj.\1'),
        (r'ground_encoder\.encoder\.norm\.' + p, r'encoder.norm.\1'),
        (r'ground_decoder\.pos_fc\.(0|2|4)\.' + p, r'decoder.pos_template.\1.\2'),
        (r'ground_decoder\.time_fc\.(0|2|4)\.' + p, r'decoder.content_template.\1.\2'),
        *_time_decoder_rules(STCAT_RULES),
    ]
    common_required = [
        ('vis_encoder.0.body.conv1.weight', 'ResNet image backbone'),
        ('input_proj.weight', 'input projection'),
        ('text_encoder.body.embeddings.', 'RoBERTa text encoder'),
        ('text_encoder.resizer.fc.weight', 'text projection (FeatureResizer)'),
        ('vid.patch_embed.', 'VidSwin-T motion branch'),
        ('input_proj2.weight', 'motion projection'),
        ('ground_encoder.encoder.spatial_layers.', 'spatial encoder layers'),
        ('ground_encoder.encoder.norm.weight', 'encoder LayerNorm'),
        ('ground_decoder.pos_fc.', 'anchor template'),
        ('ground_decoder.decoder.layers.', 'spatial decoder'),
        ('ground_decoder.time_decoder.layers.', 'temporal decoder'),
        ('bbox_embed.layers.', 'box head'),
        ('temp_embed.layers.', 'start/end head'),
        ('action_embed.layers.', 'actionness head'),
    ]
    stcat_hint = (r'ground_decoder\.temp_decoder\..+', 'this is an STCAT checkpoint (its temporal '
                  'decoder is `temp_decoder`, it has no VidSwin branch): use --method stcat')
    mmstvg_hint = (
        r'(encoder\.spatial_layers|decoder\.box_layers|spatial_head|motion_encoder)\..+',
        'this state dict already uses mmstvg names: load it directly')
    ca2_rules, ca2_dropped = _regex_rules_bert_cross(
        r'ground_decoder\.decoder\.layers\.(\d+)\.ca2\.', r'decoder.box_layers.\1.context_attn.')
    guidance = [(r'ground_decoder\.decoder\.' + s.rstrip('.') + r'\.layers\.(\d+)\.' + p,
                 'decoder.guidance.' + d + r'layers.\1.\2') for s, d in _GUIDANCE]
    register_key_map(KEY_MAPS['stcat'].extended(
        'cgstvg',
        rules=common_rules + ca2_rules + guidance,
        dropped=ca2_dropped + [
            (r'ground_decoder\.decoder\.(fuse_linear|norm2)\.' + p,
             'built by CG-STVG\'s decoder, never used'),
        ],
        required=common_required + [
            ('ground_decoder.decoder.conf.', 'instance confidence MLP'),
            ('ground_decoder.decoder.layers.0.ca2.', 'instance context attention'),
        ],
        foreign=[
            stcat_hint,
            (r'(s|t)_(temporal|spatial)_clas\..+', 'this is a TA-STVG checkpoint (it has the '
             'target-aware modules `s_temporal_clas` ...): use --method tastvg'),
            mmstvg_hint,
        ],
        equal_copies=[(r'ground_decoder\.time_embed2\.(.+)', r'action_embed.\1')]))
    ta_rules = []
    ta_dropped = []
    for src, dst in (('s_temporal_clas', 'appearance_sampling'), ('t_temporal_clas',
                                                                  'motion_sampling'),
                     ('s_spatial_clas', 'appearance_activation'), ('t_spatial_clas',
                                                                   'motion_activation')):
        layer_rules, layer_dropped = _regex_rules_bert_cross(src + r'\.layer_ca\.(\d+)\.',
                                                             dst + r'.layers.\1.')
        ta_rules += layer_rules
        ta_dropped += layer_dropped
        ta_rules += [(src + r'\.head\.' + re.escape(s), f'{dst}.head.{d}')
                     for s, d in _PRED_HEAD.items()]
        ta_dropped.append((src + r'\.(class_embedding|positional_embedding)',
                           'built by TA-STVG\'s classifier, never used'))
    register_key_map(KEY_MAPS['stcat'].extended(
        'tastvg',
        rules=common_rules + ta_rules,
        dropped=ta_dropped + [
            (r'ground_decoder\.decoder\.(gf_mlp|gf_mlp2)\.layers\.\d+\.' + p + '|'
             r'ground_decoder\.decoder\.(fuse_linear|norm2)\.' + p,
             'built by TA-STVG\'s decoder (left from CG-STVG), never used'),
        ],
        required=common_required + [
            ('s_temporal_clas.layer_ca.', 'appearance temporal sampling'),
            ('t_temporal_clas.layer_ca.', 'motion temporal sampling'),
            ('s_spatial_clas.layer_ca.', 'appearance spatial activation'),
            ('t_spatial_clas.layer_ca.', 'motion spatial activation'),
        ],
        foreign=[
            stcat_hint,
            (r'ground_decoder\.decoder\.(conf|conf2)\..+|'
             r'ground_decoder\.decoder\.layers\.\d+\.ca2\..+',
             'this is a CG-STVG checkpoint (instance context guidance `conf`, `ca2` ...): use '
             '--method cgstvg'),
            mmstvg_hint,
        ],
        equal_copies=[(r'ground_decoder\.time_embed2\.(.+)', r'action_embed.\1')]))


register_cgta_key_maps()
