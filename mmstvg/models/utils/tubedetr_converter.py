"""Rename a released TubeDETR checkpoint (antoyang/TubeDETR) to mmstvg's ``TubeDETR`` names.

TubeDETR is built on MDETR's code, so its shared modules keep MDETR's names and follow the
MDETR rules of :mod:`mmstvg.models.utils.mdetr_converter`; every tensor is copied as is.
Rules (TubeDETR key in ``checkpoint['model_ema']`` or ``checkpoint['model']`` -> mmstvg key)::

    backbone.0.body.*                    -> image_backbone.*   (torchvision ResNet-101 names
                                            are mmdet's; FrozenBatchNorm2d has no
                                            num_batches_tracked: added as 0, see below)
    input_proj.*                         -> image_proj.*
    transformer.text_encoder.*           -> text_encoder.model.*   (RoBERTa)
    transformer.resizer.fc.*             -> text_encoder.proj.*
    transformer.resizer.layer_norm.*     -> text_encoder.proj_norm.*
    transformer.encoder.layers.{i}.      -> encoder.cross_modal_encoder.encoder_layers.{i}.
        self_attn / linear1 / linear2 / norm1 / norm2
                                         -> self_attn.attn / ffn.layers.0.0 / ffn.layers.1 /
                                            norms.0 / norms.1
    transformer.fast_encoder.*           -> encoder.fast_encoder.*
    transformer.fast_residual.*          -> encoder.fast_residual.*
    transformer.decoder.layers.{i}.      -> decoder.layers.{i}.
        self_attn / cross_attn_image / linear1 / linear2 / norm1 / norm3 / norm4
                                         -> self_attn.attn / cross_attn.attn / ffn.layers.0.0 /
                                            ffn.layers.1 / norms.0 / norms.1 / norms.2
    transformer.decoder.norm.*           -> decoder.norm.*
    query_embed.weight (1, d)            -> decoder.query_embed.weight
    bbox_embed.layers.{0,1,2}.*          -> spatial_head.box_mlp.layers.{0,1,2}.*
    sted_embed.layers.{0,1}.*            -> temporal_head.layers.{0,1}.*

Dropped on purpose: ``transformer.text_encoder.pooler.*`` (RoBERTa's pooler, never used by
TubeDETR), the RoBERTa buffers ``embeddings.position_ids`` / ``token_type_ids`` (saved by old
``transformers``; not persistent in current ones) and ``transformer.time_embed.te`` (the fixed
sine time encoding, recomputed by ``SpaceTimeDecoder``; it must equal that recomputation, so
a learned or different time encoding is refused). Added: ``num_batches_tracked`` = 0 of every
ResNet BatchNorm (mmdet's BatchNorm has that buffer; unused with frozen statistics).

Any other key (a baseline variant's modules: ``--fast_mode`` transformer / gating,
``--learn_time_embed``, learned 2-D position embeddings ``backbone.1.*``; another model's
weights) is an error that lists the keys, as is a missing or incomplete group (each encoder /
decoder layer needs all its parameters).

``from_mdetr=True`` converts a pre-trained MDETR checkpoint instead (TubeDETR's
initialisation, ``--load=pretrained_resnet101_checkpoint.pth``): MDETR-only keys (class and
contrastive heads, the decoder's text cross-attention ``cross_attn_text`` / ``norm2`` ...) are
dropped and listed, ``query_embed`` keeps its first row, and the parts MDETR lacks (fast
branch, start/end head) are reported as not provided (they keep their initialisation).
"""
import re
from collections import OrderedDict
from typing import Dict, Mapping, Optional, Tuple

import torch

from .mdetr_converter import _DEC_LAYER, _ENC_LAYER, _TEXT_BUFFERS

__all__ = ['convert_tubedetr', 'TubeDETRConversionError', 'tubedetr_key_to_mmstvg']

# (source prefix, target prefix, what may follow the prefix): one module's parameters only,
# so that a variant's extra sub-modules (e.g. a transformer fast branch) are unknown keys
_PARAM = r'(weight|bias)'
_SIMPLE_PREFIXES = [
    ('backbone.0.body.', 'image_backbone.',
     r'(conv1\.weight|bn1\.\w+|layer\d+\.\d+\.(conv\d|bn\d|downsample\.\d)\.?\w*)'),
    ('input_proj.', 'image_proj.', _PARAM),
    ('transformer.resizer.fc.', 'text_encoder.proj.', _PARAM),
    ('transformer.resizer.layer_norm.', 'text_encoder.proj_norm.', _PARAM),
    ('transformer.fast_encoder.', 'encoder.fast_encoder.', _PARAM),
    ('transformer.fast_residual.', 'encoder.fast_residual.', _PARAM),
    ('transformer.decoder.norm.', 'decoder.norm.', _PARAM),
    ('bbox_embed.layers.', 'spatial_head.box_mlp.layers.', r'\d+\.' + _PARAM),
    ('sted_embed.layers.', 'temporal_head.layers.', r'\d+\.' + _PARAM),
]
_LAYER_RE = re.compile(r'^transformer\.(encoder|decoder)\.layers\.(\d+)\.([^.]+)\.(.+)$')
_LAYER_DST = {
    'encoder': 'encoder.cross_modal_encoder.encoder_layers',
    'decoder': 'decoder.layers',
}
_TEXT_PREFIX = 'transformer.text_encoder.'
_TIME_EMBED = 'transformer.time_embed.te'
# (parameter suffixes every layer must have) per layer kind
_LAYER_PARAMS = {
    'encoder': [
        f'{m}.{p}' for m in ('self_attn', )
        for p in ('in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias')
    ] + [f'{m}.{p}' for m in ('linear1', 'linear2', 'norm1', 'norm2') for p in ('weight', 'bias')],
    'decoder': [
        f'{m}.{p}' for m in ('self_attn', 'cross_attn_image')
        for p in ('in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias')
    ] + [
        f'{m}.{p}' for m in ('linear1', 'linear2', 'norm1', 'norm3', 'norm4')
        for p in ('weight', 'bias')
    ],
}
# groups a TubeDETR checkpoint must have: key prefix -> what it is
_REQUIRED = OrderedDict([
    ('backbone.0.body.conv1.weight', 'ResNet image backbone'),
    ('input_proj.weight', 'input projection'),
    ('transformer.text_encoder.embeddings.', 'RoBERTa text encoder'),
    ('transformer.resizer.fc.weight', 'text projection (FeatureResizer)'),
    ('transformer.encoder.layers.', 'slow-branch cross-modal encoder'),
    ('transformer.decoder.layers.', 'space-time decoder'),
    ('transformer.decoder.norm.weight', 'decoder norm'),
    ('query_embed.weight', 'query embedding'),
    ('bbox_embed.layers.', 'box head'),
    ('transformer.fast_encoder.weight', 'fast branch'),
    ('transformer.fast_residual.weight', 'fast-branch aggregation'),
    ('sted_embed.layers.', 'start/end head'),
])
# parts an MDETR checkpoint does not have (from_mdetr): they keep their initialisation
_NOT_IN_MDETR = ('transformer.fast_encoder.', 'transformer.fast_residual.', 'sted_embed.layers.')


class TubeDETRConversionError(ValueError):
    """The checkpoint is not a (supported) TubeDETR checkpoint; the message lists the keys."""


def _listing(keys, limit: int = 30) -> str:
    keys = list(keys)
    shown = ', '.join(keys[:limit])
    return shown + (f', ... ({len(keys) - limit} more)' if len(keys) > limit else '')


def select_weights(checkpoint: Mapping, weights: str = 'auto') -> Tuple[Mapping, str]:
    """The model state dict of a raw TubeDETR checkpoint.

    Args:
        checkpoint (Mapping): ``torch.load`` output (``model``, ``model_ema``, ``optimizer``,
            ``epoch``, ``args``), or a bare state dict.
        weights (str): ``'model_ema'``, ``'model'`` or ``'auto'`` (``model_ema`` when the
            checkpoint has it, as TubeDETR evaluates with ``--ema``; else ``model``).

    Returns:
        tuple: the state dict and the entry it came from (``'state_dict'`` for a bare one).
    """
    if weights not in ('auto', 'model', 'model_ema'):
        raise ValueError(f'weights must be "auto", "model" or "model_ema", got {weights!r}')
    if not isinstance(checkpoint, Mapping):
        raise TubeDETRConversionError(f'expected a checkpoint dict, got {type(checkpoint)}')
    has = {k: isinstance(checkpoint.get(k), Mapping) for k in ('model', 'model_ema')}
    if weights == 'auto':
        weights = 'model_ema' if has['model_ema'] else 'model'
    if not has['model'] and not has['model_ema']:
        if any(isinstance(v, torch.Tensor) for v in checkpoint.values()):
            return checkpoint, 'state_dict'  # a bare state dict
        raise TubeDETRConversionError(
            'no `model` / `model_ema` state dict in the checkpoint (top-level keys: '
            f'{_listing(sorted(map(str, checkpoint)))}); a released TubeDETR checkpoint has '
            'them')
    if not has[weights]:
        raise TubeDETRConversionError(
            f'the checkpoint has no `{weights}` state dict '
            f'(top-level keys: {_listing(sorted(map(str, checkpoint))) }')
    return checkpoint[weights], weights


def _rename(key: str) -> Optional[str]:
    """mmstvg name of a TubeDETR key; None when no rule maps it."""
    if key.startswith(_TEXT_PREFIX):
        return 'text_encoder.model.' + key[len(_TEXT_PREFIX):]
    m = _LAYER_RE.match(key)
    if m is not None:
        part, idx, module, rest = m.groups()
        table = _ENC_LAYER if part == 'encoder' else _DEC_LAYER
        if module not in table:
            return None
        return f'{_LAYER_DST[part]}.{idx}.{table[module]}.{rest}'
    for src, dst, rest in _SIMPLE_PREFIXES:
        if key.startswith(src) and re.fullmatch(rest, key[len(src):]):
            return dst + key[len(src):]
    return None


def tubedetr_key_to_mmstvg(key: str) -> Optional[str]:
    """mmstvg name of one TubeDETR parameter or buffer (module docstring), None for keys
    without a counterpart (dropped on purpose, or unknown)."""
    if key == 'query_embed.weight':
        return 'decoder.query_embed.weight'
    if _dropped_on_purpose(key):
        return None
    return _rename(key)


def _dropped_on_purpose(key: str) -> bool:
    if key.startswith(_TEXT_PREFIX):
        rest = key[len(_TEXT_PREFIX):]
        return rest.startswith('pooler.') or rest in _TEXT_BUFFERS
    return key == _TIME_EMBED


def _check_layers(src: Mapping) -> Dict[str, int]:
    """Number of encoder / decoder layers; every layer must be complete."""
    counts, incomplete = {}, []
    for part, params in _LAYER_PARAMS.items():
        prefix = f'transformer.{part}.layers.'
        idx = sorted({int(k[len(prefix):].split('.')[0]) for k in src if k.startswith(prefix)})
        counts[part] = len(idx)
        if idx != list(range(len(idx))):
            incomplete.append(f'{part} layers {idx} are not numbered 0..{len(idx) - 1}')
        for i in idx:
            missing = [p for p in params if f'{prefix}{i}.{p}' not in src]
            if missing:
                incomplete.append(f'{prefix}{i}.{{{", ".join(missing)}}}')
    if incomplete:
        raise TubeDETRConversionError('incomplete transformer layers, missing: ' +
                                      '; '.join(incomplete))
    return counts


def _check_time_embed(te: torch.Tensor) -> None:
    from mmstvg.models.necks.space_time_decoder import time_encoding
    if te.dim() != 3 or te.shape[1] != 1:
        raise TubeDETRConversionError(f'`{_TIME_EMBED}` has shape {tuple(te.shape)}, not '
                                      '(max_len, 1, d): not TubeDETR\'s sine time encoding')
    ref = time_encoding(te.shape[0], te.shape[2], dtype=te.dtype)
    diff = float((te[:, 0] - ref).abs().max())
    if diff > 1e-5:
        raise TubeDETRConversionError(
            f'`{_TIME_EMBED}` differs from the sine time encoding by {diff:.3g}: this '
            'checkpoint\'s time encoding is not the fixed one SpaceTimeDecoder computes')


def convert_tubedetr(checkpoint: Mapping,
                     weights: str = 'auto',
                     from_mdetr: bool = False) -> Dict[str, object]:
    """Convert a TubeDETR (or, ``from_mdetr``, an MDETR) checkpoint (module docstring).

    Args:
        checkpoint (Mapping): raw checkpoint (``model`` / ``model_ema``) or a state dict.
        weights (str): see :func:`select_weights`.
        from_mdetr (bool): the checkpoint is MDETR's pre-trained one (TubeDETR's
            initialisation): MDETR-only keys are dropped, missing TubeDETR parts allowed.

    Returns:
        dict: ``state_dict`` (OrderedDict of mmstvg keys), ``source_weights`` (the entry
        converted), ``dropped`` (source keys dropped on purpose), ``added`` (keys added),
        ``not_provided`` (from_mdetr: TubeDETR groups the source lacks), ``num_layers``.

    Raises:
        TubeDETRConversionError: unknown keys, missing or incomplete groups, a time encoding
            other than the fixed one, more than one query.
    """
    src, source_weights = select_weights(checkpoint, weights)
    src = dict(src)
    if src and all(k.startswith('module.') for k in src):  # saved from a DDP wrapper
        src = {k[len('module.'):]: v for k, v in src.items()}
    if any(k.startswith('static_branch.') or k.startswith('decoder.layers.') for k in src):
        raise TubeDETRConversionError('this state dict already uses mmstvg names (e.g. '
                                      f'{next(k for k in src if "." in k)}); load it directly')
    is_mdetr_like = any('cross_attn_text' in k for k in src) or 'class_embed.weight' in src
    if is_mdetr_like and not from_mdetr:
        raise TubeDETRConversionError(
            'this is an MDETR checkpoint (it has '
            f'{_listing([k for k in src if "cross_attn_text" in k or "class_embed" in k], 4)}'
            ', which TubeDETR has not): convert it with from_mdetr=True (--from-mdetr) to '
            'initialise TubeDETR from it, or give a released TubeDETR checkpoint')
    required = [(k, w) for k, w in _REQUIRED.items()
                if not (from_mdetr and k.startswith(_NOT_IN_MDETR))]
    missing = [
        f'{k}{"*" if k.endswith(".") else ""} ({what})' for k, what in required
        if not any(s.startswith(k) for s in src)
    ]
    if missing:
        raise TubeDETRConversionError('not a TubeDETR checkpoint: missing ' + '; '.join(missing) +
                                      f'. Its keys: {_listing(sorted(src))}')
    num_layers = _check_layers({
        k: v
        for k, v in src.items() if not (from_mdetr and _mdetr_only(k))
    })
    if _TIME_EMBED in src:
        _check_time_embed(src[_TIME_EMBED])
    converted: 'OrderedDict[str, torch.Tensor]' = OrderedDict()
    dropped, unknown, added = [], [], []
    for key, value in src.items():
        if key == 'query_embed.weight':
            if value.shape[0] != 1 and not from_mdetr:
                raise TubeDETRConversionError(
                    f'`{key}` has {value.shape[0]} queries; mmstvg\'s TubeDETR has one query '
                    'per frame (num_queries=1, the released models)')
            converted['decoder.query_embed.weight'] = value[:1].clone()
            if value.shape[0] != 1:
                dropped.append(f'{key}[1:]')
            continue
        if _dropped_on_purpose(key) or (from_mdetr and _mdetr_only(key)):
            dropped.append(key)
            continue
        new_key = _rename(key)
        if new_key is None:
            unknown.append(key)
        else:
            converted[new_key] = value
    if unknown:
        raise TubeDETRConversionError(
            f'{len(unknown)} key(s) have no rule (not the released TubeDETR architecture: a '
            '--fast_mode / --learn_time_embed / learned position embedding variant, or another '
            f'model): {_listing(unknown)}')
    for key in list(converted):
        if key.startswith('image_backbone.') and key.endswith('.running_var'):
            nbt = key[:-len('running_var')] + 'num_batches_tracked'
            if nbt not in converted:
                converted[nbt] = torch.tensor(0, dtype=torch.long)
                added.append(nbt)
    not_provided = [k for k in _NOT_IN_MDETR if not any(s.startswith(k) for s in src)]
    return dict(
        state_dict=converted,
        source_weights=source_weights,
        dropped=dropped,
        added=added,
        not_provided=not_provided,
        num_layers=num_layers)


def _mdetr_only(key: str) -> bool:
    """Keys of MDETR's pre-trained checkpoint that TubeDETR does not have."""
    m = _LAYER_RE.match(key)
    if m is not None:
        return m.group(3) in ('cross_attn_text', 'norm2') and m.group(1) == 'decoder'
    return key.startswith(
        ('class_embed.', 'contrastive_align_projection_', 'contrastive_projection',
         'transformer.CLS', 'isfinal_embed.', 'qa_embed.', 'answer_type_head.', 'answer_'))
