"""Rename a pre-trained MDETR checkpoint to mmstvg's STVGFormer static-branch names.

STVGFormer (§2.1, "Implementation Details") initialises its static branch (§1.1: ResNet-101
image encoder + FC embedding, RoBERTa-base text encoder + FC embedding, ``N`` cross-modal
encoder layers over ``[HW visual ; L text]`` tokens, ``N`` decoder layers reading one learnable
object query per frame) and the box MLP of its static prediction head (§1.4) from pre-trained
MDETR, as TubeDETR does. mmstvg builds these parts from mmdet / ``transformers`` modules, so
only the names change; every tensor is copied as is (the query table is cut to its first rows).

Mapping (MDETR key prefix in ``checkpoint['model']`` -> mmstvg key prefix)::

    backbone.0.body.*                       -> image_backbone.*  (torchvision ResNet names;
                                               FrozenBatchNorm2d, so no num_batches_tracked)
    input_proj.{weight,bias}                -> image_proj.{weight,bias}  (1x1 conv)
    transformer.text_encoder.*              -> text_encoder.model.*  (RoBERTa; pooler.* and
                                               the embeddings.{position_ids,token_type_ids}
                                               buffers are skipped)
    transformer.resizer.fc.*                -> text_encoder.proj.*
    transformer.resizer.layer_norm.*        -> text_encoder.proj_norm.*
    transformer.encoder.layers.{i}.
        self_attn.*                         -> static_branch.encoder_layers.{i}.self_attn.attn.*
        linear1.* / linear2.*               -> ...ffn.layers.0.0.* / ...ffn.layers.1.*
        norm1.* / norm2.*                   -> ...norms.0.* / ...norms.1.*
    transformer.decoder.layers.{i}.         (post-norm: self-attn -> image cross-attn -> FFN)
        self_attn.*                         -> static_branch.decoder_layers.{i}.self_attn.attn.*
        cross_attn_image.*                  -> ...cross_attn.attn.*
        linear1.* / linear2.*               -> ...ffn.layers.0.0.* / ...ffn.layers.1.*
        norm1.* / norm3.* / norm4.*         -> ...norms.0.* / ...norms.1.* / ...norms.2.*
    transformer.decoder.norm.*              -> static_branch.decoder_norm.*
    query_embed.weight (num_queries, d)     -> static_branch.query_embed.weight, first
                                               ``num_queries_keep`` rows
    bbox_embed.layers.{0,1,2}.*             -> spatial_head.box_mlp.layers.{0,1,2}.*

Everything else (``class_embed``, ``contrastive_align_projection_{image,text}``,
``contrastive_projection_*``, ``transformer.CLS``, ``isfinal_embed``, QA heads, a text
cross-attention ``cross_attn_text`` / ``norm2`` if present, learned position embeddings
``backbone.1.*``) has no counterpart in STVGFormer and is returned as skipped.
"""
import re
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Tuple

import torch

__all__ = ['convert_mdetr']

# Required groups: MDETR key that must be present -> what it is (for the error message).
_REQUIRED = OrderedDict([
    ('backbone.0.body.conv1.weight', 'ResNet image backbone'),
    ('transformer.text_encoder.', 'RoBERTa text encoder'),
    ('transformer.encoder.layers.', 'cross-modal transformer encoder'),
    ('transformer.decoder.layers.', 'transformer decoder'),
])

_ENC_LAYER = {
    'self_attn': 'self_attn.attn',
    'linear1': 'ffn.layers.0.0',
    'linear2': 'ffn.layers.1',
    'norm1': 'norms.0',
    'norm2': 'norms.1',
}
# MDETR's decoder layer (forward_post): norm1 after self-attn, norm3 after the image
# cross-attention, norm4 after the FFN; its text cross-attention (norm2) is unused.
_DEC_LAYER = {
    'self_attn': 'self_attn.attn',
    'cross_attn_image': 'cross_attn.attn',
    'linear1': 'ffn.layers.0.0',
    'linear2': 'ffn.layers.1',
    'norm1': 'norms.0',
    'norm3': 'norms.1',
    'norm4': 'norms.2',
}
_SIMPLE_PREFIXES = [
    ('backbone.0.body.', 'image_backbone.'),
    ('input_proj.', 'image_proj.'),
    ('transformer.resizer.fc.', 'text_encoder.proj.'),
    ('transformer.resizer.layer_norm.', 'text_encoder.proj_norm.'),
    ('transformer.decoder.norm.', 'static_branch.decoder_norm.'),
    ('bbox_embed.layers.', 'spatial_head.box_mlp.layers.'),
]
_LAYER_RE = re.compile(r'^transformer\.(encoder|decoder)\.layers\.(\d+)\.([^.]+)\.(.+)$')
_TEXT_PREFIX = 'transformer.text_encoder.'
# Buffers, not weights: older transformers (MDETR era) saved position_ids in the state dict;
# transformers 5 registers both as non-persistent, so loading them would be "unexpected".
_TEXT_BUFFERS = ('embeddings.position_ids', 'embeddings.token_type_ids')


def _unwrap(checkpoint: Mapping, use_ema: bool) -> Mapping:
    """Return the model state dict held by a raw MDETR checkpoint (or the dict itself)."""
    if use_ema:
        ema = checkpoint.get('model_ema')
        if not isinstance(ema, Mapping):
            raise ValueError('use_ema=True but the checkpoint has no `model_ema` state dict '
                             f'(top-level keys: {sorted(map(str, checkpoint))})')
        return ema
    for key in ('model', 'state_dict'):
        if isinstance(checkpoint.get(key), Mapping):
            return checkpoint[key]
    return checkpoint


def _rename(key: str) -> Optional[str]:
    """mmstvg name of an MDETR key, or None when it has no counterpart."""
    if key.startswith(_TEXT_PREFIX):
        rest = key[len(_TEXT_PREFIX):]
        if rest.startswith('pooler.') or rest in _TEXT_BUFFERS:
            return None
        return 'text_encoder.model.' + rest
    m = _LAYER_RE.match(key)
    if m is not None:
        part, idx, module, rest = m.groups()
        table = _ENC_LAYER if part == 'encoder' else _DEC_LAYER
        if module not in table:
            return None
        return f'static_branch.{part}_layers.{idx}.{table[module]}.{rest}'
    for src, dst in _SIMPLE_PREFIXES:
        if key.startswith(src):
            return dst + key[len(src):]
    return None


def convert_mdetr(state_dict: Mapping,
                  num_queries_keep: int = 1,
                  use_ema: bool = False) -> Tuple['OrderedDict[str, torch.Tensor]', List[str]]:
    """Convert an MDETR state dict to mmstvg's STVGFormer names (see the module docstring).

    Args:
        state_dict (Mapping): MDETR model state dict, or a raw MDETR checkpoint (the weights
            are then taken from its ``model`` entry, or ``state_dict``).
        num_queries_keep (int): rows of MDETR's ``query_embed.weight`` (num_queries x d) kept
            for ``static_branch.query_embed.weight``. STVGFormer has one object query per
            frame, shared by all frames: 1 (the first row, as TubeDETR does).
        use_ema (bool): take the weights from the checkpoint's ``model_ema`` entry instead
            (TubeDETR's loader prefers it when present). Defaults to False.

    Returns:
        tuple[OrderedDict, list[str]]: the converted state dict (mmstvg key -> tensor) and
        the MDETR keys that were skipped, in checkpoint order.
    """
    if not isinstance(state_dict, Mapping):
        raise TypeError(f'expected a state dict or checkpoint dict, got {type(state_dict)}')
    if num_queries_keep < 1:
        raise ValueError(f'num_queries_keep must be >= 1, got {num_queries_keep}')
    src: Dict = dict(_unwrap(state_dict, use_ema))
    if src and all(k.startswith('module.') for k in src):  # saved from a DDP wrapper
        src = {k[len('module.'):]: v for k, v in src.items()}

    for required, what in _REQUIRED.items():
        if not any(k.startswith(required) for k in src):
            shown = required + '*' if required.endswith('.') else required
            raise ValueError(f'Not an MDETR ResNet checkpoint: no key `{shown}` ({what}) '
                             'found, so this required group cannot be converted.')
    if 'transformer.encoder.norm.weight' in src:
        raise ValueError('`transformer.encoder.norm.weight` found: this MDETR was trained with '
                         'pre-norm layers (--pre_norm), but mmstvg\'s static branch is '
                         'post-norm, as the released MDETR checkpoints are.')

    converted: 'OrderedDict[str, torch.Tensor]' = OrderedDict()
    skipped: List[str] = []
    for key, value in src.items():
        if key == 'query_embed.weight':
            if value.shape[0] < num_queries_keep:
                raise ValueError(f'num_queries_keep={num_queries_keep} but `{key}` has only '
                                 f'{value.shape[0]} rows')
            # clone: a view would make torch.save store the whole table.
            converted['static_branch.query_embed.weight'] = value[:num_queries_keep].clone()
            continue
        new_key = _rename(key)
        if new_key is None:
            skipped.append(key)
        else:
            converted[new_key] = value
    return converted, skipped
