"""Rename a released checkpoint of the STCAT family (jy0205/STCAT, and the forks CG-STVG and
TA-STVG that keep its module names) to mmstvg's names.

One :class:`MethodKeyMap` per method (:data:`KEY_MAPS`): ordered rename rules (a regular
expression on the released key -> a replacement template), keys dropped on purpose (each with
its reason), required groups, and *foreign* markers (keys that identify another model's
checkpoint, refused with a hint at the right converter). Every key of the selected state dict
is renamed by one rule, dropped with a reason, or the conversion stops with a message listing
the keys without a rule; a missing required group stops it too. A fork's map extends STCAT's
(:func:`register_key_map`, ``extends='stcat'``): its own rules first, then STCAT's.

STCAT's rules (released key in ``checkpoint['model_ema']`` or ``checkpoint['model']`` ->
mmstvg ``STCAT`` key)::

    vis_encoder.0.body.*                         -> image_backbone.*  (torchvision ResNet names
                                                    are mmdet's; num_batches_tracked = 0 added)
    input_proj.*                                 -> image_proj.*
    text_encoder.body.{embeddings,encoder}.*     -> text_encoder.model.*   (RoBERTa)
    text_encoder.resizer.fc / .layer_norm        -> text_encoder.proj / .proj_norm
    ground_encoder.encoder.{spatial,temporal}_layers.{i}.
        self_attn / linear1 / linear2 / norm1 / norm2
                                                 -> encoder.{spatial,temporal}_layers.{i}.
                                                    self_attn.attn / ffn.layers.0.0 /
                                                    ffn.layers.1 / norms.0 / norms.1
    ground_encoder.encoder.frame_cls / local_pos_embed / video_cls
                                                 -> encoder.frame_token / frame_token_pos /
                                                    video_token
    ground_decoder.template_generator.{content,gamma,beta,anchor}_proj
                                                 -> decoder.template.{content,gamma,beta,anchor}
    ground_decoder.decoder.layers.{i}.
        sa_{q,k}{content,pos,time}_proj / sa_v_proj
                                                 -> decoder.box_layers.{i}.
                                                    self_{q,k}_{content,anchor,time} / self_v
        ca_qcontent_proj / ca_qpos_proj / ca_kcontent_proj / ca_kpos_proj / ca_v_proj /
        ca_qpos_sine_proj / cross_attn.out_proj  -> cross_q_content / cross_q_anchor /
                                                    cross_k_content / cross_k_pos / cross_v /
                                                    cross_q_sine / cross_attn.out_proj
        self_attn / linear1 / linear2 / norm1 / norm3 / norm4
                                                 -> self_attn / ffn.layers.0.0 / ffn.layers.1 /
                                                    norms.0 / norms.1 / norms.2
    ground_decoder.decoder.norm / query_scale / ref_point_head
                                                 -> decoder.box_norm / anchor_scale / anchor_pos
    ground_decoder.temp_decoder.layers.{i}.
        self_attn / cross_attn_image / linear1 / linear2 / norm1 / norm3 / norm4
                                                 -> decoder.time_layers.{i}.self_attn /
                                                    cross_attn / ffn.layers.0.0 / ffn.layers.1 /
                                                    norms.0 / norms.1 / norms.2
    ground_decoder.temp_decoder.norm             -> decoder.time_norm
    bbox_embed.layers.*                          -> spatial_head.box_mlp.layers.*
    temp_embed.layers.*                          -> temporal_head.layers.*
    action_embed.layers.{i}.*                    -> temporal_head.actionness.{i}.*

Dropped on purpose (STCAT): ``ground_decoder.decoder.bbox_embed.*`` (the same module as
``bbox_embed``, saved twice; the two copies must be equal), RoBERTa's ``pooler`` (its output,
the released ``text_cls``, is handed to the template generator, which never reads it),
RoBERTa's ``position_ids`` / ``token_type_ids`` buffers (not persistent in current
``transformers``), ``ground_encoder.fusion`` (built, never called),
``ca_qtime_proj`` of the decoder layers (read only by the ``FROM_SCRATCH=False`` variant; the
released models are ``FROM_SCRATCH=True``), and the fixed sine time encodings
``*.time_embed.te`` (recomputed; they must equal the recomputation).
"""
import re
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import torch

__all__ = [
    'STCATConversionError', 'MethodKeyMap', 'KEY_MAPS', 'register_key_map', 'convert_stcat',
    'stcat_key_to_mmstvg'
]


class STCATConversionError(ValueError):
    """Not a (supported) checkpoint of the method; the message lists the offending keys."""


class MethodKeyMap:
    """The key map of one method of the family.

    Args:
        name (str): the method (``--method``).
        rules (list[tuple]): ``(pattern, template)``: a key fully matching ``pattern`` becomes
            ``re.sub``'s result with ``template``; the first matching rule wins.
        dropped (list[tuple]): ``(pattern, reason)``: keys dropped on purpose.
        required (list[tuple]): ``(prefix, what)``: groups the checkpoint must have.
        foreign (list[tuple]): ``(pattern, message)``: a key matching ``pattern`` means another
            model's checkpoint; the conversion stops with ``message``.
        equal_copies (list[tuple]): ``(pattern, template)``: dropped keys that must equal the
            key ``template`` gives (a module saved twice).
        sine_buffers (list[str]): patterns of fixed sine time encodings (dropped after a check).
    """

    def __init__(
        self,
        name: str,
        rules: Sequence[Tuple[str, str]],
        dropped: Sequence[Tuple[str, str]] = (),
        required: Sequence[Tuple[str, str]] = (),
        foreign: Sequence[Tuple[str, str]] = (),
        equal_copies: Sequence[Tuple[str, str]] = (),
        sine_buffers: Sequence[str] = ()
    ) -> None:
        self.name = name
        self.rules = [(re.compile(p), t) for p, t in rules]
        self.dropped = [(re.compile(p), r) for p, r in dropped]
        self.required = list(required)
        self.foreign = [(re.compile(p), m) for p, m in foreign]
        self.equal_copies = [(re.compile(p), t) for p, t in equal_copies]
        self.sine_buffers = [re.compile(p) for p in sine_buffers]

    def rename(self, key: str) -> Optional[str]:
        """The mmstvg key of ``key``; None when no rule maps it."""
        for pattern, template in self.rules:
            if pattern.fullmatch(key):
                return pattern.sub(template, key)
        return None

    def drop_reason(self, key: str) -> Optional[str]:
        """Why ``key`` is dropped; None when it is not."""
        for pattern, reason in self.dropped:
            if pattern.fullmatch(key):
                return reason
        for pattern, _ in self.equal_copies:
            if pattern.fullmatch(key):
                return 'a second copy of a shared module'
        if any(p.fullmatch(key) for p in self.sine_buffers):
            return 'fixed sine time encoding (recomputed)'
        return None

    def extended(self, name: str, **parts) -> 'MethodKeyMap':
        """A map for a fork: ``parts`` (same names as the constructor's) come first, then
        this map's entries (``required`` / ``foreign`` replace this map's when given)."""
        new = MethodKeyMap(name, ())
        new.rules = [(re.compile(p), t) for p, t in parts.get('rules', ())] + self.rules
        new.dropped = [(re.compile(p), r) for p, r in parts.get('dropped', ())] + self.dropped
        new.required = list(parts['required']) if 'required' in parts else list(self.required)
        new.foreign = ([(re.compile(p), m) for p, m in parts['foreign']]
                       if 'foreign' in parts else list(self.foreign))
        new.equal_copies = [(re.compile(p), t)
                            for p, t in parts.get('equal_copies', ())] + self.equal_copies
        new.sine_buffers = [re.compile(p)
                            for p in parts.get('sine_buffers', ())] + self.sine_buffers
        return new


_P = r'(weight|bias)'
_MHA = r'(in_proj_weight|in_proj_bias|out_proj\.weight|out_proj\.bias)'
_ENC = r'ground_encoder\.encoder\.'
_DEC = r'ground_decoder\.decoder\.layers\.(\d+)\.'
_TDEC = r'ground_decoder\.temp_decoder\.layers\.(\d+)\.'
_FFN_NORMS = [('linear1', 'ffn.layers.0.0'), ('linear2', 'ffn.layers.1')]
_DEC_NORMS = [('norm1', 'norms.0'), ('norm3', 'norms.1'), ('norm4', 'norms.2')]

STCAT_RULES: List[Tuple[str, str]] = [
    (r'vis_encoder\.0\.body\.(conv1\.weight|bn1\.\w+|'
     r'layer\d+\.\d+\.(?:conv\d|bn\d|downsample\.\d)\.\w+)', r'image_backbone.\1'),
    (r'input_proj\.' + _P, r'image_proj.\1'),
    (r'text_encoder\.body\.((?:embeddings|encoder)\..+)', r'text_encoder.model.\1'),
    (r'text_encoder\.resizer\.fc\.' + _P, r'text_encoder.proj.\1'),
    (r'text_encoder\.resizer\.layer_norm\.' + _P, r'text_encoder.proj_norm.\1'),
    (_ENC + r'(spatial|temporal)_layers\.(\d+)\.self_attn\.' + _MHA,
     r'encoder.\1_layers.\2.self_attn.attn.\3'),
    *[(_ENC + rf'(spatial|temporal)_layers\.(\d+)\.{src}\.' + _P,
       rf'encoder.\1_layers.\2.{dst}.\3')
      for src, dst in _FFN_NORMS + [('norm1', 'norms.0'), ('norm2', 'norms.1')]],
    (_ENC + r'frame_cls\.weight', 'encoder.frame_token.weight'),
    (_ENC + r'local_pos_embed\.weight', 'encoder.frame_token_pos.weight'),
    (_ENC + r'video_cls\.weight', 'encoder.video_token.weight'),
    (_ENC + r'time_embed\.embed\.weight', 'encoder.time_embed.weight'),  # learned variant
    (r'ground_decoder\.template_generator\.(content|gamma|beta|anchor)_proj\.' + _P,
     r'decoder.template.\1.\2'),
    *[(_DEC + rf'{src}\.' + _P, rf'decoder.box_layers.\1.{dst}.\2')
      for src, dst in [('sa_qcontent_proj', 'self_q_content'), ('sa_qpos_proj', 'self_q_anchor'),
                       ('sa_qtime_proj', 'self_q_time'), ('sa_kcontent_proj', 'self_k_content'),
                       ('sa_kpos_proj', 'self_k_anchor'), ('sa_ktime_proj', 'self_k_time'),
                       ('sa_v_proj', 'self_v'), ('ca_qcontent_proj', 'cross_q_content'),
                       ('ca_qpos_proj', 'cross_q_anchor'), ('ca_kcontent_proj', 'cross_k_content'),
                       ('ca_kpos_proj', 'cross_k_pos'), ('ca_v_proj', 'cross_v'),
                       ('ca_qpos_sine_proj', 'cross_q_sine'),
                       ('cross_attn\\.out_proj', 'cross_attn.out_proj')] + _FFN_NORMS + _DEC_NORMS
      ],
    (_DEC + r'self_attn\.' + _MHA, r'decoder.box_layers.\1.self_attn.\2'),
    (r'ground_decoder\.decoder\.norm\.' + _P, r'decoder.box_norm.\1'),
    (r'ground_decoder\.decoder\.query_scale\.layers\.(\d+)\.' + _P,
     r'decoder.anchor_scale.layers.\1.\2'),
    (r'ground_decoder\.decoder\.ref_point_head\.layers\.(\d+)\.' + _P,
     r'decoder.anchor_pos.layers.\1.\2'),
    (_TDEC + r'self_attn\.' + _MHA, r'decoder.time_layers.\1.self_attn.\2'),
    (_TDEC + r'cross_attn_image\.' + _MHA, r'decoder.time_layers.\1.cross_attn.\2'),
    *[(_TDEC + rf'{src}\.' + _P, rf'decoder.time_layers.\1.{dst}.\2')
      for src, dst in _FFN_NORMS + _DEC_NORMS],
    (r'ground_decoder\.temp_decoder\.norm\.' + _P, r'decoder.time_norm.\1'),
    (r'ground_decoder\.time_embed\.embed\.weight', 'decoder.time_embed.weight'),
    (r'bbox_embed\.layers\.(\d+)\.' + _P, r'spatial_head.box_mlp.layers.\1.\2'),
    (r'temp_embed\.layers\.(\d+)\.' + _P, r'temporal_head.layers.\1.\2'),
    (r'action_embed\.layers\.(\d+)\.' + _P, r'temporal_head.actionness.\1.\2'),
]

STCAT_DROPPED = [
    (r'text_encoder\.body\.pooler\..+', 'RoBERTa\'s pooler: its output (text_cls) goes to the '
     'template generator, which never reads it'),
    (r'text_encoder\.body\.embeddings\.(position_ids|token_type_ids)',
     'RoBERTa buffer (not persistent in current transformers)'),
    (r'ground_encoder\.fusion\.' + _P, 'built by the released encoder, never called'),
    (_DEC + r'ca_qtime_proj\.' + _P, 'read only by the FROM_SCRATCH=False variant (the released '
     'models: FROM_SCRATCH=True)'),
]

STCAT_REQUIRED = [
    ('vis_encoder.0.body.conv1.weight', 'ResNet image backbone'),
    ('input_proj.weight', 'input projection'),
    ('text_encoder.body.embeddings.', 'RoBERTa text encoder'),
    ('text_encoder.resizer.fc.weight', 'text projection (FeatureResizer)'),
    ('ground_encoder.encoder.spatial_layers.', 'spatial encoder layers'),
    ('ground_encoder.encoder.temporal_layers.', 'temporal encoder layers'),
    ('ground_encoder.encoder.frame_cls.weight', 'frame token'),
    ('ground_decoder.template_generator.', 'template generator'),
    ('ground_decoder.decoder.layers.', 'spatial decoder'),
    ('ground_decoder.temp_decoder.layers.', 'temporal decoder'),
    ('bbox_embed.layers.', 'box head'),
    ('temp_embed.layers.', 'start/end head'),
    ('action_embed.layers.', 'actionness head'),
]

STCAT_FOREIGN = [
    (r'(vid|input_proj2)\..+', 'this is a CG-STVG or TA-STVG checkpoint (it has the VidSwin '
     'motion branch `vid.*` / `input_proj2`): convert it with --method cgstvg or --method '
     'tastvg'),
    (r'(transformer\.|backbone\.0\.body\.|sted_embed\.|query_embed\.).*',
     'this is a TubeDETR or MDETR checkpoint (keys `transformer.*`, `backbone.0.body.*`): '
     'convert it with tools/model_converters/tubedetr2mmstvg.py (or mdetr2mmstvg.py)'),
    (r'(encoder\.spatial_layers|decoder\.box_layers|spatial_head)\..+',
     'this state dict already uses mmstvg names: load it directly'),
]

KEY_MAPS: Dict[str, MethodKeyMap] = OrderedDict()


def register_key_map(key_map: MethodKeyMap) -> MethodKeyMap:
    """Add a method's key map (a fork's: ``KEY_MAPS['stcat'].extended(name, ...)``)."""
    KEY_MAPS[key_map.name] = key_map
    return key_map


register_key_map(
    MethodKeyMap(
        'stcat',
        STCAT_RULES,
        dropped=STCAT_DROPPED,
        required=STCAT_REQUIRED,
        foreign=STCAT_FOREIGN,
        equal_copies=[(r'ground_decoder\.decoder\.bbox_embed\.(.+)', r'bbox_embed.\1')],
        sine_buffers=[
            r'ground_encoder\.encoder\.time_embed\.te', r'ground_decoder\.time_embed\.te'
        ]))


def _listing(keys, limit: int = 30) -> str:
    keys = list(keys)
    shown = ', '.join(keys[:limit])
    return shown + (f', ... ({len(keys) - limit} more)' if len(keys) > limit else '')


def select_weights(checkpoint: Mapping, weights: str = 'auto') -> Tuple[Mapping, str]:
    """The model state dict of a released checkpoint (``model``, ``model_ema``, ``optimizer``
    ...; ``auto``: ``model_ema`` when present, as the released evaluation loads it), or a bare
    state dict. Returns it and the entry it came from."""
    if weights not in ('auto', 'model', 'model_ema'):
        raise ValueError(f'weights must be "auto", "model" or "model_ema", got {weights!r}')
    if not isinstance(checkpoint, Mapping):
        raise STCATConversionError(f'expected a checkpoint dict, got {type(checkpoint)}')
    has = {k: isinstance(checkpoint.get(k), Mapping) for k in ('model', 'model_ema')}
    if weights == 'auto':
        weights = 'model_ema' if has['model_ema'] else 'model'
    if not has['model'] and not has['model_ema']:
        if checkpoint and all(isinstance(v, torch.Tensor) for v in checkpoint.values()):
            return checkpoint, 'state_dict'
        raise STCATConversionError(
            'no `model` / `model_ema` state dict in the checkpoint (top-level keys: '
            f'{_listing(sorted(map(str, checkpoint)))})')
    if not has[weights]:
        raise STCATConversionError(f'the checkpoint has no `{weights}` state dict (top-level '
                                   f'keys: {_listing(sorted(map(str, checkpoint)))})')
    return checkpoint[weights], weights


def _check_sine(key: str, te: torch.Tensor) -> None:
    from mmstvg.models.necks.space_time_decoder import time_encoding
    if te.dim() != 3 or te.shape[1] != 1:
        raise STCATConversionError(f'`{key}` has shape {tuple(te.shape)}, not (max_len, 1, d): '
                                   'not the sine time encoding')
    diff = float((te[:, 0].float() - time_encoding(te.shape[0], te.shape[2])).abs().max())
    if diff > 1e-5:
        raise STCATConversionError(f'`{key}` differs from the sine time encoding by {diff:.3g}')


def _check_layers(src: Mapping) -> None:
    """Every layer of a stack has the same parameters (the first spatial decoder layer has
    one projection more, ``ca_qpos_proj``)."""
    stacks: Dict[str, Dict[int, set]] = {}
    for key in src:
        m = re.match(r'^(.*\.layers\.|.*_layers\.)(\d+)\.(.+)$', key)
        if m and not key.startswith(('vis_encoder.', 'text_encoder.', 'vid.')):
            stacks.setdefault(m.group(1), {}).setdefault(int(m.group(2)), set()).add(m.group(3))
    problems = []
    for stack, layers in stacks.items():
        idx = sorted(layers)
        if idx != list(range(len(idx))):
            problems.append(f'{stack}{{{idx}}} not numbered 0..{len(idx) - 1}')
            continue
        if len(idx) < 2 or stack.endswith(
            ('bbox_embed.layers.', 'temp_embed.layers.', 'action_embed.layers.',
             'query_scale.layers.', 'ref_point_head.layers.')):
            continue
        full = set.union(*layers.values())
        for i in idx:
            missing = sorted(full - layers[i])
            if stack == 'ground_decoder.decoder.layers.' and i > 0:
                missing = [m for m in missing if not m.startswith('ca_qpos_proj.')]
            if missing:
                problems.append(f'{stack}{i}.{{{", ".join(missing)}}}')
    if problems:
        raise STCATConversionError('incomplete layers, missing: ' + '; '.join(problems))


def convert_stcat(checkpoint: Mapping,
                  method: str = 'stcat',
                  weights: str = 'auto') -> Dict[str, object]:
    """Convert a released checkpoint of ``method`` (module docstring).

    Args:
        checkpoint (Mapping): raw checkpoint or a state dict.
        method (str): a key of :data:`KEY_MAPS` (``'stcat'``; the forks add theirs).
        weights (str): see :func:`select_weights`.

    Returns:
        dict: ``state_dict`` (OrderedDict of mmstvg keys), ``source_weights``, ``dropped``
        (``{key: reason}``), ``added`` (keys added: ResNet ``num_batches_tracked``).

    Raises:
        STCATConversionError: a foreign checkpoint, keys without a rule, missing groups or
            layers, a second copy of a shared module that differs, a non-sine time encoding.
    """
    if method not in KEY_MAPS:
        raise ValueError(f'unknown method {method!r}; known: {list(KEY_MAPS)}')
    key_map = KEY_MAPS[method]
    src, source_weights = select_weights(checkpoint, weights)
    src = dict(src)
    if src and all(k.startswith('module.') for k in src):  # saved from a DDP wrapper
        src = {k[len('module.'):]: v for k, v in src.items()}
    for pattern, message in key_map.foreign:
        hits = [k for k in src if pattern.fullmatch(k)]
        if hits:
            raise STCATConversionError(f'not a {method} checkpoint: {message} (e.g. '
                                       f'{_listing(hits, 3)})')
    missing = [
        f'{k}{"*" if k.endswith(".") else ""} ({what})' for k, what in key_map.required
        if not any(s.startswith(k) for s in src)
    ]
    if missing:
        raise STCATConversionError(f'not a complete {method} checkpoint: missing ' +
                                   '; '.join(missing) + f'. Its keys: {_listing(sorted(src))}')
    _check_layers(src)
    converted: 'OrderedDict[str, torch.Tensor]' = OrderedDict()
    dropped, unknown, added = OrderedDict(), [], []
    for key, value in src.items():
        reason = key_map.drop_reason(key)
        if reason is not None:
            for pattern, template in key_map.equal_copies:
                if pattern.fullmatch(key):
                    other = pattern.sub(template, key)
                    if other not in src or not torch.equal(src[other], value):
                        raise STCATConversionError(f'`{key}` should be a copy of `{other}` '
                                                   '(one shared module) but differs')
            if any(p.fullmatch(key) for p in key_map.sine_buffers):
                _check_sine(key, value)
            dropped[key] = reason
            continue
        new_key = key_map.rename(key)
        if new_key is None:
            unknown.append(key)
        else:
            converted[new_key] = value
    if unknown:
        raise STCATConversionError(
            f'{len(unknown)} key(s) have no {method} rule (another variant or model, e.g. '
            f'FROM_SCRATCH=False\'s `cross_attn_image` in the spatial decoder): '
            f'{_listing(unknown)}')
    for key in list(converted):
        if key.startswith('image_backbone.') and key.endswith('.running_var'):
            nbt = key[:-len('running_var')] + 'num_batches_tracked'
            if nbt not in converted:
                converted[nbt] = torch.tensor(0, dtype=torch.long)
                added.append(nbt)
    return dict(state_dict=converted, source_weights=source_weights, dropped=dropped, added=added)


def stcat_key_to_mmstvg(key: str, method: str = 'stcat') -> Optional[str]:
    """mmstvg name of one released parameter (a second name of a shared module: the module's
    name); None for keys dropped or without a rule."""
    key_map = KEY_MAPS[method]
    for pattern, template in key_map.equal_copies:
        if pattern.fullmatch(key):
            return key_map.rename(pattern.sub(template, key))
    if key_map.drop_reason(key) is not None:
        return None
    return key_map.rename(key)
