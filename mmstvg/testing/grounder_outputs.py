"""Reproducible losses and predictions of a grounder built from a real config.

Used to prove that a refactor leaves a model's behaviour unchanged: ``tests/data/
grounder_golden/generate.py`` records :func:`grounder_outputs` of every synthetic config with
one version of the code, ``tests/test_models/test_grounders/test_golden_outputs.py`` compares
the current code with the record.

The weights do not come from the random number generator (whose use depends on the order in
which modules are built) but from each parameter's NAME and shape (:func:`set_named_weights`),
so two versions of a model that name their parameters alike get identical weights. Where a
parameter was renamed since the goldens were recorded (:data:`RECORDED_NAMES`), its weights
come from the recorded name and reach the model as an old checkpoint does, through the
grounder's loading of earlier names.
"""
import copy
import zlib
from typing import Dict, List, Mapping, Optional, Tuple

import torch
from mmengine.config import Config

from mmstvg.registry import MODELS
from mmstvg.structures import STVGDataSample
from mmstvg.utils import register_all_modules
from .tiny_models import half_size_sample

#: Parameter name prefixes renamed since the goldens were recorded, per grounder type:
#: ``{prefix now: prefix then}`` (issue 23 named the heads ``spatial_head`` and
#: ``temporal_head`` in every grounder).
RECORDED_NAMES = {
    'STVGFormer': {
        'spatial_head.': 'bbox_head.'
    },
    'BaselineGrounder': {
        'spatial_head.': 'bbox_head.',
        'temporal_head.': 'span_head.'
    },
}


def _named_value(name: str, param: torch.Tensor) -> torch.Tensor:
    g = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    noise = torch.randn(param.shape, generator=g, dtype=torch.float32)
    if param.dim() > 1:
        value = noise / max(param[0].numel(), 1)**0.5
    elif name.endswith('weight'):
        value = 1 + 0.1 * noise
    else:
        value = 0.1 * noise
    return value.to(param.dtype)


def _rename(name: str, renames: Mapping[str, str]) -> str:
    for now, then in renames.items():
        if name.startswith(now):
            return then + name[len(now):]
    return name


def named_weights(model: torch.nn.Module,
                  renames: Optional[Mapping[str, str]] = None) -> Dict[str, torch.Tensor]:
    """The values :func:`set_named_weights` gives, as a state dict of the parameters.

    Args:
        renames (dict, optional): ``{prefix now: prefix then}``: such parameters are keyed
            (and seeded) by their earlier name, as in a checkpoint saved then.
    """
    out = {}
    for name, param in model.named_parameters():
        key = _rename(name, renames or {})
        out[key] = _named_value(key, param)
    return out


def set_named_weights(model: torch.nn.Module) -> None:
    """Overwrite every parameter with values seeded by its name.

    Matrices and kernels get ``N(0, 1) / sqrt(fan_in)``, vectors named ``*weight`` (norm
    scales) ``1 + 0.1 N(0, 1)``, other vectors ``0.1 N(0, 1)``. Buffers are left as built.
    """
    with torch.no_grad():
        for name, param in model.named_parameters():
            param.copy_(_named_value(name, param))


def golden_inputs(num_frames: int = 8,
                  img_shape: Tuple[int, int] = (64, 64),
                  text_len: int = 6,
                  vocab_size: int = 64,
                  num_passes: int = 1) -> Tuple[dict, List[STVGDataSample]]:
    """Two preprocessed samples with different GT tubes (``num_passes`` x ``num_frames``
    sampled frames each; the frames of a multi-pass sample are the passes interleaved, as
    ``SampleSTVGFrames(multi_pass=True)`` orders them)."""
    g = torch.Generator().manual_seed(0)
    h, w = img_shape
    n = num_frames * num_passes
    inputs = dict(
        imgs=torch.randn(2, n, 3, h, w, generator=g),
        frame_mask=torch.ones(2, n, dtype=torch.bool),
        text=dict(
            input_ids=torch.randint(3, vocab_size, (2, text_len), generator=g),
            attention_mask=torch.ones(2, text_len, dtype=torch.long)))
    frame_inds = list(range(0, 2 * n, 2))
    samples = []
    for i, (first, last, box) in enumerate([(2, n - 2, (0.2, 0.3, 0.5, 0.7)),
                                            (0, n // 2, (0.5, 0.1, 0.9, 0.6))]):
        in_span = torch.zeros(n, dtype=torch.bool)
        in_span[first:last] = True
        box = torch.tensor(box) * torch.tensor([w, h, w, h], dtype=torch.float32)
        span = (frame_inds[first], frame_inds[last - 1] + 1)
        samples.append(
            half_size_sample(
                f'q{i}', (h, w), in_span, box, span, num_passes=num_passes, sentence_type=None))
    return inputs, samples


def build_named_model(config: str) -> torch.nn.Module:
    """The model of a config file, with the weights :func:`set_named_weights` gives under
    the parameter names of the goldens' recording (:data:`RECORDED_NAMES`), loaded with
    ``load_state_dict`` as a checkpoint of then is."""
    register_all_modules()
    cfg = Config.fromfile(config)
    model = MODELS.build(cfg.model)
    state = named_weights(model, RECORDED_NAMES.get(type(model).__name__))
    result = model.load_state_dict(state, strict=False)
    buffers = {name for name, _ in model.named_buffers()}
    if result.unexpected_keys or set(result.missing_keys) - buffers:
        raise RuntimeError(f'named weights do not load into {type(model).__name__}: '
                           f'unexpected {result.unexpected_keys}, missing '
                           f'{sorted(set(result.missing_keys) - buffers)}')
    return model


def grounder_outputs(config: str, num_passes: int = 1) -> Dict[str, torch.Tensor]:
    """Losses (train mode) and predictions (eval mode) of a config's model on
    :func:`golden_inputs`, flattened to ``{name: tensor}``."""
    torch.manual_seed(0)
    model = build_named_model(config)
    vocab = 64
    text_cfg = model.text_encoder
    if hasattr(text_cfg, 'embedding'):
        vocab = min(vocab, text_cfg.embedding.num_embeddings)
    out = {}
    if num_passes == 1:
        inputs, samples = golden_inputs(vocab_size=vocab)
        model.train()
        torch.manual_seed(0)
        losses = model.loss(copy.deepcopy(inputs), copy.deepcopy(samples))
        out.update({
            f'loss/{k}': torch.as_tensor(v).detach().float()
            for k, v in sorted(losses.items())
        })
    inputs, samples = golden_inputs(
        vocab_size=vocab, num_passes=num_passes, num_frames=8 if num_passes == 1 else 4)
    model.eval()
    with torch.no_grad():
        preds = model.predict(inputs, samples)
    for i, sample in enumerate(preds):
        tube = sample.pred_tube
        out[f'pred{i}/span'] = tube.span
        out[f'pred{i}/frame_ids'] = tube.frame_ids
        out[f'pred{i}/bboxes'] = tube.bboxes
        if 'score' in tube:
            out[f'pred{i}/score'] = torch.tensor(float(tube.score))
    return out
