# Copyright (c) mmstvg contributors.
"""Prove that a ported model computes what its authors' code computes (docs STYLE.md,
"Porting a published model"): the original model, built from a checkout of the original
repository with random weights, and the mmstvg model, loaded through the checkpoint converter,
are fed identical inputs and every output, decoded tube and loss is compared.

Methods: ``tubedetr`` (this file) and those with a module of their own next to it
(:data:`METHOD_MODULES`: ``stcat`` -> ``compare_stcat.py``, whose docstring describes its
run; the shims, random weights, inputs and report below are shared with them).

Usage (TubeDETR; ``configs/tubedetr/README.md`` tells how to get both directories)::

    python tools/analysis_tools/compare_with_reference.py --method tubedetr \\
        --ref-repo /path/to/TubeDETR --ref-pythonpath /path/to/ref-site-packages

``--ref-repo`` (or ``$MMSTVG_TUBEDETR_REPO``) is a checkout of antoyang/TubeDETR (compared at
commit d70c0eed); ``--ref-pythonpath`` (or ``$MMSTVG_REF_PYTHONPATH``) a folder holding what the
original code imports and mmstvg does not (torchvision: ``pip install --no-deps --target DIR
torchvision==0.28.0``). Neither goes into mmstvg's environment: mmengine/mmdet would import that
torchvision build and fail. The exit status is 0 when every compared quantity is within
``--atol`` (1e-4, float32, CPU), 1 otherwise.

What runs, per setting (``vidstg``, ``hcstvg-v1``, ``hcstvg-v2``; each the released code's
training command with the released models' ``--resolution 352 --stride 4``, and the mmstvg
config of that dataset):

1. the original model is built by the original code (``main.get_args_parser``,
   ``models.build_model``) at its original sizes (ResNet-101, RoBERTa-base, 6 + 6 layers,
   d = 256) and given seeded random weights: every bias, LayerNorm and frozen BatchNorm affine
   random (not their 0 / 1 initial values, which would hide a swapped or missing term), the
   zero-initialised fast-branch residual random, the frozen BatchNorm statistics calibrated on
   the clip so that the random ResNet's activations stay O(1);
2. its weights are saved in the released format (``model``, ``model_ema``, ``optimizer``,
   ``epoch``, ``args``; ``model_ema`` holds the compared weights, ``model`` others, so the
   converter must pick the averaged ones) and converted by
   ``tools/model_converters/tubedetr2mmstvg.py`` (weights-only load); the result is loaded into
   the model of the mmstvg config with ``strict=True``;
3. a short clip (``--num-frames`` frames of a 640x480 VidSTG-like, a 640x360 (v1) or
   1280x720 (v2) HC-STVG-like video at 30 fps, i.e. frames 6 apart at 5 fps; its own seed per
   setting for the weights and the pixels; smooth random pixels; a GT moment on
   positions 2..T-3 with random boxes; a caption tokenised by mmstvg's offline word-level
   tokenizer) is pre-processed by the original code (``datasets/video_transforms.py``,
   evaluation transform: short side 352, long side <= 587, ImageNet normalisation; the
   original collate ``util.misc.video_collate_fn``). mmstvg's own pre-processing
   (``DETRResize`` + ``STVGDataPreprocessor``) of the same uint8 frames and boxes is compared
   with it, then both models get the original's tensors and the same token ids;
4. eval mode: the original runs through ``engine.evaluate`` (its post-processors and
   ``--test`` box collection, captured by an evaluator subclass); compared: boxes, start/end
   logits, temporal self-attention and cross-attention weights of every decoder layer, the
   decoded tube (span in original frames, boxes in original pixels), and the eval-mode losses;
5. train mode: the original runs one step of ``engine.train_one_epoch`` (learning rate 0, no
   clipping); compared: the same outputs, every loss term of ``SetCriterion`` (6 layers x
   L1, GIoU, KL start/end, guided attention, weighted by ``weight_dict``) and their sum, and
   the gradient of every parameter. Dropout is switched off in both models (p = 0): the two
   codes draw their dropout masks in different orders, so random masks could never agree;
   everything else is the training path (frozen BatchNorm, the fast branch without gradient,
   the original's target construction and time masks).

Shims for the original code (nothing of it is copied or changed; all live here):

- ``torch.library.register_fake`` is wrapped while torchvision is imported so that a
  torchvision wheel whose C++ ops do not match this torch does not fail on import (the
  compared code uses no torchvision op: ResNet, FrozenBatchNorm2d, IntermediateLayerGetter,
  ``box_area`` are Python);
- ``torchvision.models.resnet*(pretrained=True)`` builds random weights (no download);
- ``RobertaModel.from_pretrained`` / ``RobertaTokenizerFast.from_pretrained`` in
  ``models.transformer`` (transformers 4.5 hub calls): RoBERTa-base from its configuration
  (:data:`mmstvg.testing.ROBERTA_BASE`) with random weights, and a tokenizer that returns the
  given token ids for the given caption through ``batch_encode_plus`` (removed in
  transformers 5);
- stub modules for imports the compared code paths never use: ``timm`` (timm backbones),
  ``ffmpeg`` (video decoding in ``datasets/``), ``hostlist`` (SLURM set-up in ``util/dist``);
- without CUDA, ``torch.cuda.reset_peak_memory_stats`` (called unconditionally at the end of
  ``util.metrics.MetricLogger.log_every``) is a no-op.

The module map (original -> mmstvg) is in ``mmstvg/models/grounders/tubedetr.py`` and the key
map in ``mmstvg/models/utils/tubedetr_converter.py``.
"""
import argparse
import contextlib
import copy
import importlib
import importlib.machinery
import importlib.util
import io
import math
import os
import os.path as osp
import sys
import tempfile
import types
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: the commit of antoyang/TubeDETR this comparison was written against
TUBEDETR_COMMIT = 'd70c0eed'

#: per setting: the mmstvg config, the original training command's arguments (README) plus
#: the released models' resolution and stride, and the synthetic video's size
TUBEDETR_SETTINGS = OrderedDict([
    ('vidstg',
     dict(
         config='configs/tubedetr/tubedetr_r101-mdetr-pre_16xb1-k4-res352-10e_vidstg.py',
         dataset='vidstg',
         args=['--combine_datasets=vidstg', '--combine_datasets_val=vidstg'],
         dataset_config='config/vidstg.json',
         video_wh=(640, 480),
         clip_start=30,
         seed_offset=0)),
    ('hcstvg-v1',
     dict(
         config='configs/tubedetr/tubedetr_r101-mdetr-pre_16xb1-k4-res352-40e_hcstvg-v1.py',
         dataset='hcstvg',
         args=[
             '--combine_datasets=hcstvg', '--combine_datasets_val=hcstvg', '--epochs=40',
             '--eval_skip=40'
         ],
         dataset_config='config/hcstvg.json',
         video_wh=(640, 360),
         clip_start=0,
         seed_offset=1)),
    ('hcstvg-v2',
     dict(
         config='configs/tubedetr/tubedetr_r101-mdetr-pre_16xb1-k4-res352-20e_hcstvg-v2.py',
         dataset='hcstvg',
         args=[
             '--combine_datasets=hcstvg', '--combine_datasets_val=hcstvg', '--v2', '--epochs=20'
         ],
         dataset_config='config/hcstvg.json',
         video_wh=(1280, 720),
         clip_start=0,
         seed_offset=2)),
])
RELEASED_MODEL_ARGS = ['--ema', '--resolution=352', '--stride=4', '--device=cpu']
REF_TOP_LEVEL = ('main', 'engine', 'models', 'util', 'datasets')
CAPTION = 'the small red circle moves to the left of the blue square'


# --------------------------------------------------------------------------------- shims
def _stub_module(name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None)
    return module


class _ShimTokenizer:
    """``RobertaTokenizerFast`` stand-in: the token ids registered for each caption."""

    token_ids: Dict[str, List[int]] = {}
    pad_token_id = 1

    @classmethod
    def from_pretrained(cls, *args, **kwargs):
        return cls()

    def batch_encode_plus(self, text, padding='longest', return_tensors='pt', **kwargs):
        from transformers.tokenization_utils_base import BatchEncoding
        ids = [self.token_ids[t] for t in text]
        length = max(len(i) for i in ids)
        input_ids = torch.full((len(ids), length), self.pad_token_id, dtype=torch.long)
        attention_mask = torch.zeros((len(ids), length), dtype=torch.long)
        for row, seq in enumerate(ids):
            input_ids[row, :len(seq)] = torch.as_tensor(seq)
            attention_mask[row, :len(seq)] = 1
        enc = BatchEncoding(dict(input_ids=input_ids, attention_mask=attention_mask))
        enc._encodings = [None] * len(ids)  # the original repeats this list per clip
        return enc


class _ShimRoberta:
    """``RobertaModel`` stand-in: RoBERTa-base's architecture, random weights."""

    @classmethod
    def from_pretrained(cls, *args, **kwargs):
        from transformers import RobertaConfig, RobertaModel

        from mmstvg.testing import ROBERTA_BASE
        cfg = {k: v for k, v in ROBERTA_BASE.items() if k != 'model_type'}
        return RobertaModel(RobertaConfig(**cfg))


def add_reference_path(ref_path: str) -> None:
    """Put a reference checkout (or a folder of what it imports) first on ``sys.path``: the
    original code imports its own modules by absolute names. The method modules call this
    (the only place, with :func:`import_reference_torchvision`, that edits ``sys.path``)."""
    sys.path.insert(0, osp.abspath(ref_path))


def import_reference_torchvision(ref_pythonpath: Optional[str]):
    """Put ``ref_pythonpath`` (one folder, or several joined by ``os.pathsep``) first on
    ``sys.path`` and import torchvision for the original code (module docstring, shims):
    ``register_fake`` wrapped while importing, ``resnet*(pretrained=True)`` random."""
    for path in reversed((ref_pythonpath or '').split(os.pathsep)):
        if path:
            add_reference_path(path)
    register_fake = torch.library.register_fake

    def _register_fake(op, *args, **kwargs):
        if isinstance(op, str) and op.startswith('torchvision::'):
            return lambda fn=None: fn
        return register_fake(op, *args, **kwargs)

    torch.library.register_fake = _register_fake
    try:
        import torchvision
        import torchvision.models  # noqa: F401
    except ImportError as err:
        raise SystemExit(f'the original code needs torchvision, not importable ({err}); '
                         'install it OUTSIDE the mmstvg environment with `pip install '
                         '--no-deps --target DIR torchvision==0.28.0` and pass '
                         '--ref-pythonpath DIR (or set MMSTVG_REF_PYTHONPATH)')
    finally:
        torch.library.register_fake = register_fake
    for name in ('resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152'):
        builder = getattr(torchvision.models, name)

        def _random(*args, pretrained=False, _builder=builder, **kwargs):
            kwargs.pop('weights', None)
            return _builder(*args, weights=None, **kwargs)

        setattr(torchvision.models, name, _random)
    return torchvision


def install_tubedetr_shims(ref_repo: str, ref_pythonpath: Optional[str]) -> Dict[str, object]:
    """Import the original TubeDETR modules with the shims of the module docstring.

    Returns:
        dict: the imported modules (``main``, ``models``, ``engine``, ``misc``,
        ``video_transforms``, ``backbone``, ``vidstg_eval``, ``hcstvg_eval``).
    """
    ref_repo = osp.abspath(ref_repo)
    if not osp.isfile(osp.join(ref_repo, 'models', 'tubedetr.py')):
        raise SystemExit(f'{ref_repo} is not a TubeDETR checkout (no models/tubedetr.py)')
    clash = [
        n for n in REF_TOP_LEVEL if n in sys.modules
        and not (getattr(sys.modules[n], '__file__', '') or '').startswith(ref_repo)
    ]
    if clash:
        raise SystemExit(f'modules {clash} are already imported from elsewhere; the original '
                         'code needs these top-level names: run the comparison in a fresh '
                         'process')
    import transformers  # noqa: F401  (before the stubs: transformers probes timm)
    from transformers import RobertaModel, RobertaTokenizerFast  # noqa: F401
    import_reference_torchvision(ref_pythonpath)
    for name in ('timm', 'timm.models', 'ffmpeg', 'hostlist'):
        if name not in sys.modules:
            sys.modules[name] = _stub_module(name)
    sys.modules['timm'].models = sys.modules['timm.models']

    def _no_timm(*args, **kwargs):
        raise RuntimeError('timm backbones are not shimmed')

    sys.modules['timm.models'].create_model = _no_timm
    if not torch.cuda.is_available():  # util/metrics.py resets CUDA memory stats
        torch.cuda.reset_peak_memory_stats = lambda *args, **kwargs: None
    sys.path.insert(0, ref_repo)
    mods = dict(
        main=importlib.import_module('main'),
        models=importlib.import_module('models'),
        transformer=importlib.import_module('models.transformer'),
        backbone=importlib.import_module('models.backbone'),
        postprocessors=importlib.import_module('models.postprocessors'),
        engine=importlib.import_module('engine'),
        misc=importlib.import_module('util.misc'),
        video_transforms=importlib.import_module('datasets.video_transforms'),
        vidstg_eval=importlib.import_module('datasets.vidstg_eval'),
        hcstvg_eval=importlib.import_module('datasets.hcstvg_eval'))
    mods['transformer'].RobertaModel = _ShimRoberta
    mods['transformer'].RobertaTokenizerFast = _ShimTokenizer
    return mods


# ----------------------------------------------------------------------- random weights
def randomize_parameters(model: nn.Module, seed: int, skip: Sequence[str] = ()) -> None:
    """Seeded random values for what the default initialisation leaves constant: every 1-D
    parameter (biases ~ N(0, 0.1), LayerNorm weights ~ 1 + N(0, 0.2)) and any all-constant
    matrix (~ N(0, 1 / fan_in)); other matrices keep their (random) initialisation."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if any(name.startswith(s) for s in skip):
                continue
            if p.dim() == 1:
                noise = torch.randn(p.shape, generator=g)
                p.copy_(1 + 0.2 * noise if name.endswith('weight') else 0.1 * noise)
            elif float(p.detach().float().std()) == 0:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(fan_in))


def calibrate_frozen_bn(backbone: nn.Module, bn_type: type, imgs: torch.Tensor, seed: int) -> None:
    """Random affine for every frozen BatchNorm, and statistics measured on ``imgs`` (each
    BN's input, in order), so that a randomly initialised ResNet-101 keeps O(1) activations.

    The scale of the last BatchNorm of each residual branch (``bn3``) is drawn in
    [0.1, 0.4], as in trained ResNets (and their zero-initialised variants): with the scales
    of the other BatchNorms (in [0.5, 1.5]) there, 33 residual blocks of random convolutions
    make the forward chaotic, and float32 rounding (FrozenBatchNorm2d's ``x * scale + shift``
    vs ``F.batch_norm``) grows to 1e-4 relative at the ResNet's output."""
    g = torch.Generator().manual_seed(seed)
    hooks = []

    def _calibrate(module, args):
        x = args[0].detach()
        var = x.var((0, 2, 3))
        module.running_mean.copy_(x.mean((0, 2, 3)))
        # floor: a (near) constant channel would otherwise be scaled up ~1 / sqrt(eps)
        module.running_var.copy_(var + 0.1 * var.mean())

    for name, m in backbone.named_modules():
        if isinstance(m, bn_type):
            low, width = (0.1, 0.3) if name.endswith('bn3') else (0.5, 1.0)
            m.weight.copy_(low + width * torch.rand(m.weight.shape, generator=g))
            m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=g))
            hooks.append(m.register_forward_pre_hook(_calibrate))
    with torch.no_grad():
        backbone(imgs)
    for h in hooks:
        h.remove()


def disable_dropout(model: nn.Module) -> None:
    """p = 0 for every dropout (module docstring, step 5)."""
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0
        if isinstance(m, nn.MultiheadAttention):
            m.dropout = 0.0


# ----------------------------------------------------------------------------- inputs
def smooth_frames(num: int, wh: Tuple[int, int], seed: int) -> np.ndarray:
    """(num, H, W, 3) uint8 frames: smooth random images (bilinear-upsampled noise)."""
    import cv2
    rng = np.random.RandomState(seed)
    w, h = wh
    out = []
    for _ in range(num):
        small = rng.randint(0, 256, size=(h // 16 + 1, w // 16 + 1, 3)).astype(np.uint8)
        out.append(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR))
    return np.stack(out)


def random_boxes(num: int, wh: Tuple[int, int], seed: int) -> np.ndarray:
    """(num, 4) xywh boxes inside a ``wh`` frame (a slowly moving, resizing target)."""
    rng = np.random.RandomState(seed + 1)
    w, h = wh
    x, y = rng.uniform(0.1, 0.4) * w, rng.uniform(0.1, 0.4) * h
    bw, bh = rng.uniform(0.2, 0.4) * w, rng.uniform(0.2, 0.4) * h
    out = []
    for _ in range(num):
        x, y = x + rng.uniform(-3, 3), y + rng.uniform(-3, 3)
        bw, bh = bw * rng.uniform(0.97, 1.03), bh * rng.uniform(0.97, 1.03)
        out.append([x, y, bw, bh])
    return np.asarray(out, dtype=np.float64)


def caption_token_ids(caption: str) -> List[int]:
    """Token ids of ``caption`` from mmstvg's offline word-level tokenizer (no hub)."""
    from mmstvg.datasets.synthetic import build_tokenizer
    return list(build_tokenizer()(caption)['input_ids'])


class _Recorder(nn.Module):
    """Calls the original model and keeps a copy of what its decoding pass returns."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.outputs = None

    def forward(self, *args, **kwargs):
        out = self.model(*args, **kwargs)
        if not kwargs.get('encode_and_save', True):
            self.outputs = _detach_copy(out)
        return out


def _detach_copy(value):
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, dict):
        return {k: _detach_copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_detach_copy(v) for v in value)
    return value


class _CriterionRecorder(nn.Module):

    def __init__(self, criterion: nn.Module) -> None:
        super().__init__()
        self.criterion = criterion
        self.losses = None

    def forward(self, *args, **kwargs):
        losses = self.criterion(*args, **kwargs)
        self.losses = {k: float(v.detach()) for k, v in losses.items()}
        return losses


def _capture_evaluator(base: type):
    """A subclass of an original evaluator that keeps what ``engine.evaluate`` gives it."""

    class Capture(base):

        def __init__(self):  # the original reads annotation files: not needed here
            self.frames, self.videos = {}, {}

        def update(self, predictions):
            self.frames.update(predictions)

        def video_update(self, predictions):
            self.videos.update(predictions)

        def save(self, *args, **kwargs):
            pass

        def synchronize_between_processes(self):
            pass

        def summarize(self):
            return None

    return Capture()


# ------------------------------------------------------------------------ comparison
class Report:
    """Collects ``(setting, mode, quantity, max |diff|, tolerance)`` rows."""

    def __init__(self, atol: float) -> None:
        self.atol = atol
        self.rows = []

    def add(self,
            setting: str,
            mode: str,
            what: str,
            diff: float,
            tol: Optional[float] = None,
            gate: bool = True,
            scale: Optional[float] = None) -> None:
        """One row: ``diff`` = max |difference|, ``scale`` = max |original value|."""
        tol = self.atol if tol is None else tol
        ok = (diff <= tol) if gate else None
        self.rows.append((setting, mode, what, float(diff), tol, ok))
        flag = {True: 'ok', False: 'FAIL', None: 'info'}[ok]
        size = '' if scale is None else f'  (values up to {scale:.3g})'
        print(f'  {setting:10s} {mode:5s} {what:48s} {diff:10.3e}  [{flag}]{size}', flush=True)

    def compare(self,
                setting: str,
                mode: str,
                what: str,
                a: torch.Tensor,
                b: torch.Tensor,
                tol: Optional[float] = None,
                gate: bool = True) -> float:
        a, b = torch.as_tensor(a).double(), torch.as_tensor(b).double()
        if a.shape != b.shape:
            raise AssertionError(f'{setting} {mode} {what}: shapes {tuple(a.shape)} vs '
                                 f'{tuple(b.shape)}')
        diff = float((a - b).abs().max()) if a.numel() else 0.0
        scale = float(a.abs().max()) if a.numel() else 0.0
        self.add(setting, mode, what, diff, tol, gate, scale)
        return diff

    @property
    def passed(self) -> bool:
        return all(ok is not False for *_, ok in self.rows)

    def summary(self) -> str:
        lines = ['', 'max |difference| per setting and mode (gated quantities):']
        groups = OrderedDict()
        for setting, mode, what, diff, tol, ok in self.rows:
            if ok is None:
                continue
            kind = 'outputs'
            for prefix, name in (('loss', 'losses'), ('gradients', 'gradients'), ('decoded',
                                                                                  'decoded')):
                if what.startswith(prefix):
                    kind = name
            key = (setting, mode, kind)
            groups[key] = max(groups.get(key, 0.0), diff)
        for (setting, mode, kind), diff in groups.items():
            lines.append(f'  {setting:10s} {mode:5s} {kind:9s} {diff:.3e}')
        lines.append('PASS' if self.passed else 'FAIL')
        return '\n'.join(lines)


def _ref_args(mods, setting: dict, ref_repo: str) -> argparse.Namespace:
    parser = mods['main'].get_args_parser()
    args = parser.parse_args([
        f'--dataset_config={osp.join(ref_repo, setting["dataset_config"])}', *setting['args'],
        *RELEASED_MODEL_ARGS
    ])
    return args


def _build_reference(mods, args, frames: torch.Tensor, seed: int):
    torch.manual_seed(seed)
    model, criterion, weight_dict = mods['models'].build_model(args)
    randomize_parameters(model, seed + 1)
    calibrate_frozen_bn(model.backbone[0].body, mods['backbone'].FrozenBatchNorm2d, frames,
                        seed + 2)
    return model, criterion, weight_dict


def _reference_batch(mods, setting: dict, args, num_frames: int, seed: int, caption: str):
    """The clip through the original pre-processing and collate; also what mmstvg needs."""
    vt = mods['video_transforms']
    w0, h0 = setting['video_wh']
    video_fps, step = 30.0, 6  # 5 fps sampling of a 30 fps video
    clip_start = setting['clip_start']
    frames_id = [clip_start + step * i for i in range(num_frames)]
    raw = smooth_frames(num_frames, (w0, h0), seed)
    inter = list(range(2, num_frames - 2))
    boxes = random_boxes(len(inter), (w0, h0), seed)
    targets = []
    for pos, frame in enumerate(frames_id):
        anns = [dict(bbox=boxes[pos - inter[0]].tolist())] if pos in inter else []
        target = vt.prepare(w0, h0, anns)
        target['image_id'] = f'0_{frame}'
        targets.append(target)
    transform = vt.make_video_transforms('val', cautious=True, resolution=args.resolution)
    images, targets = transform(list(raw), targets)  # CTHW float
    tmp_target = dict(
        video_id=0, inter_idx=[inter[0], inter[-1]], frames_id=frames_id, caption=caption)
    if setting['dataset'] == 'vidstg':
        tmp_target['qtype'] = 'declarative'
    dtype = torch.get_default_dtype()  # float64 with --dtype float64
    images = images.to(dtype)
    for target in targets:
        target['boxes'] = target['boxes'].to(dtype)
    item = (images[:, ::args.stride], targets, tmp_target, images)
    batch = mods['misc'].video_collate_fn(False, 0, [item])
    return dict(
        batch=batch,
        images=images,
        raw=raw,
        boxes_xywh=boxes,
        inter=inter,
        frames_id=frames_id,
        clip=(clip_start, clip_start + step * num_frames + 1),
        video_fps=video_fps,
        video_wh=(w0, h0))


def _mmstvg_inputs(data: dict, token_ids: List[int]):
    from mmengine.structures import BaseDataElement

    from mmstvg.structures import STVGDataSample
    images = data['images']  # (3, T, H, W)
    _, t, h, w = images.shape
    w0, h0 = data['video_wh']
    inputs = dict(
        imgs=images.transpose(0, 1)[None].contiguous(),
        frame_mask=torch.ones(1, t, dtype=torch.bool),
        text=dict(
            input_ids=torch.as_tensor([token_ids]),
            attention_mask=torch.ones(1, len(token_ids), dtype=torch.long)))
    sample = STVGDataSample(
        metainfo=dict(
            qid='q0',
            img_shape=(h, w),
            ori_shape=(h0, w0),
            scale_factor=np.array([w / w0, h / h0], dtype=np.float32),
            frame_inds=list(data['frames_id']),
            clip=data['clip'],
            num_passes=1,
            fps=data['video_fps'],
            num_frames=data['clip'][1] + 10))
    in_span = torch.zeros(t, dtype=torch.bool)
    in_span[data['inter']] = True
    xyxy = torch.as_tensor(data['boxes_xywh'], dtype=torch.float32).clone()
    xyxy[:, 2:] += xyxy[:, :2]
    xyxy[:, 0::2] = xyxy[:, 0::2].clamp(0, w0)
    xyxy[:, 1::2] = xyxy[:, 1::2].clamp(0, h0)
    frame_bboxes = torch.zeros(t, 4)
    frame_bboxes[in_span] = xyxy * torch.tensor([w / w0, h / h0] * 2)
    sample.gt_tube = BaseDataElement(
        frame_bboxes=frame_bboxes,
        frame_in_span=in_span,
        span=torch.tensor(
            [data['frames_id'][data['inter'][0]], data['frames_id'][data['inter'][-1]] + 1]))
    return inputs, sample


def compare_preprocessing(report: Report, name: str, data: dict, cfg) -> None:
    """mmstvg's ``DETRResize`` + ``STVGDataPreprocessor`` vs the original's transforms."""
    from mmstvg.registry import MODELS, TRANSFORMS
    resize_cfg = next(t for t in cfg.test_pipeline if t['type'] == 'DETRResize')
    resize = TRANSFORMS.build(resize_cfg)
    w0, h0 = data['video_wh']
    xyxy = data['boxes_xywh'].copy()
    xyxy[:, 2:] += xyxy[:, :2]
    gt = np.zeros((len(data['frames_id']), 4), dtype=np.float32)
    gt[data['inter']] = xyxy
    results = resize(
        dict(imgs=list(data['raw']), img_shape=(h0, w0), modality='RGB', gt_bboxes=gt))
    preprocessor = MODELS.build(cfg.model.data_preprocessor)
    imgs = torch.from_numpy(np.stack(results['imgs'])).permute(0, 3, 1, 2)
    out = preprocessor(dict(inputs=[dict(imgs=imgs)], data_samples=None))
    ref = data['images'].transpose(0, 1)[None]
    if tuple(out['inputs']['imgs'].shape) != tuple(ref.shape):
        raise AssertionError(f'{name}: mmstvg resizes to {tuple(out["inputs"]["imgs"].shape)}, '
                             f'the original to {tuple(ref.shape)}')
    report.compare(name, 'data', 'frames after resize + normalisation', out['inputs']['imgs'], ref)
    h, w = results['img_shape']
    ref_boxes = torch.stack([data['batch']['targets'][i]['boxes'][0] for i in data['inter']])
    boxes = torch.as_tensor(results['gt_bboxes'][data['inter']], dtype=torch.float64)
    cxcywh = torch.cat([(boxes[:, :2] + boxes[:, 2:]) / 2, boxes[:, 2:] - boxes[:, :2]], 1)
    report.compare(name, 'data', 'GT boxes (normalised cxcywh)',
                   cxcywh / torch.tensor([w, h, w, h]), ref_boxes)


def _mmstvg_layer_outputs(model, inputs, samples) -> List[Dict[str, torch.Tensor]]:
    feats = model.extract_feat(inputs, samples)
    outs = []
    for i, q in enumerate(feats['layer_queries']):
        layer = dict(feats, queries=q, seq=q)
        out = dict(model.spatial_head(layer), **model.temporal_head(layer))
        out['self_attn'] = feats['self_attn'][i]
        if feats['cross_attn'] is not None:
            out['cross_attn'] = feats['cross_attn'][i]
        outs.append(out)
    return outs


def _compare_outputs(report: Report, name: str, mode: str, ref_out: dict,
                     outs: List[Dict[str, torch.Tensor]], with_cross: bool) -> None:
    ref_layers = [*ref_out['aux_outputs'], ref_out]
    if len(ref_layers) != len(outs):
        raise AssertionError(f'{len(ref_layers)} decoder layers vs {len(outs)}')
    keys = [('pred_boxes', 'boxes', 'boxes (cxcywh)'),
            ('pred_sted', 'sted_logits', 'start/end logits'),
            ('weights', 'self_attn', 'temporal self-attention weights')]
    if with_cross:
        keys.append(('ca_weights', 'cross_attn', 'cross-attention weights'))
    n = len(outs)
    for ref_key, key, what in keys:
        diff = scale = 0.0
        for ref_layer, out in zip(ref_layers, outs):
            a = ref_layer[ref_key]
            b = out[key]
            if ref_key == 'pred_boxes':
                b = b.reshape(-1, 4)
            elif ref_key == 'ca_weights':
                a = a[:, 0]
            diff = max(diff, float((a.double() - b.double()).abs().max()))
            scale = max(scale, float(a.abs().max()))
        report.add(name, mode, f'{what} ({n} layers)', diff, scale=scale)


def _ref_loss_terms(losses: Dict[str, float], weight_dict: Dict[str, float]) -> Dict[str, float]:
    """Original ``SetCriterion`` terms, weighted, under mmstvg's key names."""
    out = {}
    for key, value in losses.items():
        if key not in weight_dict:
            continue
        base, _, layer = key.rpartition('_')
        if layer.isdigit() and base.startswith('loss_'):
            new = f'd{layer}.{base}'
        else:
            new = key
        out[new] = value * weight_dict[key]
    return out


def _compare_losses(report: Report, name: str, mode: str, ref_terms: Dict[str, float],
                    losses: Dict[str, torch.Tensor]) -> None:
    ours = {k: float(v.detach()) for k, v in losses.items()}
    if set(ref_terms) != set(ours):
        raise AssertionError(f'{name} {mode}: loss terms differ: only in the original '
                             f'{sorted(set(ref_terms) - set(ours))}, only in mmstvg '
                             f'{sorted(set(ours) - set(ref_terms))}')
    for base in ('loss_bbox', 'loss_giou', 'loss_sted', 'loss_guided_attn'):
        keys = [k for k in ours if k.split('.')[-1] == base]
        diff = max(abs(ours[k] - ref_terms[k]) for k in keys)
        scale = max(abs(ref_terms[k]) for k in keys)
        report.add(name, mode, f'{base} (weighted, {len(keys)} layers)', diff, scale=scale)
    total = sum(ref_terms.values())
    report.add(name, mode, 'loss total', abs(sum(ours.values()) - total), scale=abs(total))


def run_tubedetr_setting(mods, name: str, setting: dict, opts, report: Report,
                         work_dir: str) -> None:
    from mmengine.config import Config

    from mmstvg.models.utils.tubedetr_converter import tubedetr_key_to_mmstvg
    from mmstvg.registry import MODELS
    from mmstvg.testing import import_script, strip_pretrained
    print(f'[{name}] building the original TubeDETR', flush=True)
    args = _ref_args(mods, setting, opts.ref_repo)
    token_ids = caption_token_ids(CAPTION)
    _ShimTokenizer.token_ids = {CAPTION: token_ids}
    seed = opts.seed + 100 * setting['seed_offset']  # other weights and clip per setting
    data = _reference_batch(mods, setting, args, opts.num_frames, seed, CAPTION)
    fast = data['batch']['samples_fast'].tensors
    model, criterion, weight_dict = _build_reference(mods, args, fast, seed)

    # released format -> converter CLI -> mmstvg model, strict
    state = model.state_dict()
    other = {k: v + 0.01 if v.is_floating_point() else v for k, v in state.items()}
    src = osp.join(work_dir, f'tubedetr_{name}.pth')
    dst = osp.join(work_dir, f'tubedetr_{name}_mmstvg.pth')
    torch.save(dict(model=other, model_ema=state, optimizer={}, epoch=9, args=args), src)
    cfg = Config.fromfile(osp.join(REPO, setting['config']))
    converter = import_script('tools/model_converters/tubedetr2mmstvg.py')
    with contextlib.redirect_stdout(io.StringIO()):
        converter.main([src, dst, '--config', osp.join(REPO, setting['config'])])
    converted = torch.load(dst, map_location='cpu', weights_only=True)
    if converted['meta']['source_weights'] != 'model_ema':
        raise AssertionError('the converter did not take the `model_ema` weights')
    model_cfg = strip_pretrained(cfg.model.to_dict())
    ours = MODELS.build(model_cfg)
    ours.load_state_dict(converted['state_dict'], strict=True)
    ours.need_cross_weights = True
    print(f'[{name}] converted {len(converted["state_dict"])} keys, loaded strictly', flush=True)

    compare_preprocessing(report, name, data, cfg)
    inputs, sample = _mmstvg_inputs(data, token_ids)
    batch = data['batch']
    engine = mods['engine']
    postprocessors = mods['postprocessors'].build_postprocessors(args, setting['dataset'])
    capture = _capture_evaluator(mods['vidstg_eval'].VidSTGEvaluator if setting['dataset'] ==
                                 'vidstg' else mods['hcstvg_eval'].HCSTVGEvaluator)

    # ---------------------------------------------------------------- eval mode
    print(f'[{name}] eval mode', flush=True)
    recorder, crit = _Recorder(model), _CriterionRecorder(criterion)
    args.test = True  # boxes of every frame to the evaluator (not only the GT moment's)
    with contextlib.redirect_stdout(io.StringIO()):
        engine.evaluate(recorder, crit, postprocessors, weight_dict, [batch], [capture],
                        torch.device('cpu'), args)
    args.test = False
    ours.eval()
    with torch.no_grad():
        outs = _mmstvg_layer_outputs(ours, inputs, [sample])
        eval_losses = ours.loss(inputs, [copy.deepcopy(sample)])
        pred = ours.predict(inputs, [copy.deepcopy(sample)])[0].pred_tube
    _compare_outputs(report, name, 'eval', recorder.outputs, outs, with_cross=True)
    ref_span = capture.videos[0]['sted']
    span = pred.span.tolist()
    report.add(name, 'eval', f'decoded span (frames) {span} vs {ref_span}',
               float(max(abs(a - b) for a, b in zip(span, ref_span))))
    ref_boxes = torch.tensor(
        [capture.frames[f'0_{f}']['boxes'][0] for f in pred.frame_ids.tolist()])
    w0, h0 = data['video_wh']
    report.compare(name, 'eval', 'decoded boxes (original pixels / long side)',
                   pred.bboxes / max(w0, h0), ref_boxes / max(w0, h0))
    _compare_losses(report, name, 'eval', _ref_loss_terms(crit.losses, weight_dict), eval_losses)

    # --------------------------------------------------------------- train mode
    print(f'[{name}] train mode (dropout off)', flush=True)
    disable_dropout(model)
    disable_dropout(ours)
    recorder, crit = _Recorder(model), _CriterionRecorder(criterion)
    groups = [[p for n, p in model.named_parameters() if p.requires_grad and pred_fn(n)]
              for pred_fn in (lambda n: 'backbone' not in n and 'text_encoder' not in n,
                              lambda n: 'backbone' in n, lambda n: 'text_encoder' in n)]
    optimizer = torch.optim.SGD([dict(params=g) for g in groups], lr=0.0)
    with contextlib.redirect_stdout(io.StringIO()):
        engine.train_one_epoch(
            model=recorder,
            criterion=crit,
            weight_dict=weight_dict,
            data_loader=[batch],
            optimizer=optimizer,
            device=torch.device('cpu'),
            epoch=0,
            args=args,
            max_norm=0)
    ours.train()
    ours.zero_grad()
    losses = ours.loss(inputs, [copy.deepcopy(sample)])
    total, _ = ours.parse_losses(losses)
    total.backward()
    with torch.no_grad():
        outs = _mmstvg_layer_outputs(ours, inputs, [sample])
    _compare_outputs(report, name, 'train', recorder.outputs, outs, with_cross=False)
    _compare_losses(report, name, 'train', _ref_loss_terms(crit.losses, weight_dict), losses)
    compare_gradients(
        report, name, opts, model, ours, tubedetr_key_to_mmstvg, show_worst=8, show_ungated=False)


def compare_gradients(report: 'Report',
                      name: str,
                      opts,
                      ref_model: nn.Module,
                      ours: nn.Module,
                      to_mmstvg,
                      outside: Optional[str] = None,
                      show_worst: int = 5,
                      show_ungated: bool = True) -> None:
    """Compare the gradients of every parameter after both models' backward (every method).

    Args:
        report (Report): where the rows go (setting ``name``, mode ``train``).
        opts: the command line (``dtype``, ``grad_rtol``).
        ref_model (nn.Module): the original model.
        ours (nn.Module): the mmstvg model.
        to_mmstvg (callable): original parameter name -> mmstvg name (None: unmapped; an
            error, as is a parameter with a gradient in one model only).
        outside (str, optional): an informative row, the largest relative difference of the
            parameters whose names do not start with this prefix (e.g. ``'image_backbone.'``).
        show_worst (int): how many of the worst parameters are printed.
        show_ungated (bool): print them also when the gradients are not gated (float32).
    """
    ref_grads = {
        n: p.grad.detach().clone()
        for n, p in ref_model.named_parameters() if p.grad is not None
    }
    mapped = {to_mmstvg(k): g for k, g in ref_grads.items()}
    if None in mapped:
        raise AssertionError('a parameter of the original has no mmstvg name: ' +
                             str([k for k in ref_grads if to_mmstvg(k) is None]))
    own = dict(ours.named_parameters())
    # relative: ||g - g_ref|| / ||g_ref|| per parameter; gradients that are zero in exact
    # arithmetic (e.g. of a bias before a softmax) are rounding noise in both models, so the
    # denominator is at least 1e-6 of the largest gradient norm
    floor = 1e-6 * max(float(g.double().norm()) for g in mapped.values())
    abs_diff, rel_diff, missing, worst = 0.0, 0.0, [], []
    for key, g_ref in mapped.items():
        g = own[key].grad
        if g is None:
            missing.append(key)
            continue
        delta = g.double() - g_ref.double()
        abs_diff = max(abs_diff, float(delta.abs().max()))
        rel = float(delta.norm()) / max(float(g_ref.double().norm()), floor)
        rel_diff = max(rel_diff, rel)
        worst.append((rel, key))
    extra = [k for k, p in own.items() if p.grad is not None and k not in mapped]
    if missing or extra:
        raise AssertionError(f'gradients: none in mmstvg for {missing[:10]}; none in the '
                             f'original for {extra[:10]}')
    # float32: a random ResNet-101's backward amplifies rounding differences (a few % in its
    # early layers), so the gradients are gated in float64 only (--dtype float64)
    gate = opts.dtype == 'float64'
    report.add(
        name, 'train', f'gradients, {len(mapped)} parameters (max |diff|)', abs_diff, gate=False)
    if outside is not None:
        # outside the ResNet the float32 rounding is not amplified: informative in float32 too
        rest = max((rel for rel, key in worst if not key.startswith(outside)), default=0)
        report.add(name, 'train', 'gradients outside the ResNet (max relative)', rest, gate=False)
    report.add(
        name,
        'train',
        'gradients (max ||diff|| / ||grad|| per parameter)',
        rel_diff,
        tol=opts.grad_rtol,
        gate=gate)
    if (show_ungated and not gate) or (gate and rel_diff > opts.grad_rtol):
        for rel, key in sorted(worst, reverse=True)[:show_worst]:
            print(f'    {key}: {rel:.3e}')


def compare_tubedetr(opts) -> bool:
    ref_repo = opts.ref_repo or os.environ.get('MMSTVG_TUBEDETR_REPO')
    if not ref_repo:
        raise SystemExit('give the TubeDETR checkout: --ref-repo or $MMSTVG_TUBEDETR_REPO')
    opts.ref_repo = ref_repo
    ref_pythonpath = opts.ref_pythonpath or os.environ.get('MMSTVG_REF_PYTHONPATH')
    mods = install_tubedetr_shims(ref_repo, ref_pythonpath)
    from mmstvg.utils import register_all_modules
    register_all_modules()
    if opts.dtype == 'float64':  # both models (and the original's own buffers) in float64
        torch.set_default_dtype(torch.float64)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    report = Report(opts.atol)
    with tempfile.TemporaryDirectory() as tmp:
        work_dir = opts.work_dir or tmp
        os.makedirs(work_dir, exist_ok=True)
        for name in opts.settings:
            run_tubedetr_setting(mods, name, TUBEDETR_SETTINGS[name], opts, report, work_dir)
    print(report.summary())
    return report.passed


#: methods compared here: name -> (compare function, settings)
METHODS = {'tubedetr': (compare_tubedetr, TUBEDETR_SETTINGS)}
#: methods compared by a module of their own next to this file (name -> file name). Such a
#: module defines ``SETTINGS`` (an OrderedDict: setting name -> dict), ``REPO_ENV`` (the
#: environment variable naming the checkout) and ``compare(opts, common) -> bool``, where
#: ``common`` is this module (its shims, random weights, inputs and :class:`Report`).
METHOD_MODULES = OrderedDict([('stcat', 'compare_stcat.py'), ('cgstvg', 'compare_cgstvg.py'),
                              ('tastvg', 'compare_tastvg.py')])


def method_module(name: str) -> types.ModuleType:
    """Import the comparison module of method ``name`` (:data:`METHOD_MODULES`)."""
    key = f'_mmstvg_compare_{name}'
    if key not in sys.modules:
        path = osp.join(osp.dirname(osp.abspath(__file__)), METHOD_MODULES[name])
        spec = importlib.util.spec_from_file_location(key, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


def get_method(name: str):
    """(compare function taking the parsed options, settings) of method ``name``."""
    if name in METHODS:
        return METHODS[name]
    module = method_module(name)
    common = sys.modules[__name__]
    return (lambda opts: module.compare(opts, common)), module.SETTINGS


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Compare an mmstvg port with its original code (random weights, CPU)')
    parser.add_argument('--method', choices=sorted([*METHODS, *METHOD_MODULES]), required=True)
    parser.add_argument(
        '--ref-repo',
        help='checkout of the original repository (default: $MMSTVG_TUBEDETR_REPO for '
        'tubedetr, the method module\'s REPO_ENV for the others, e.g. $MMSTVG_STCAT_REPO)')
    parser.add_argument(
        '--ref-pythonpath',
        help='folder(s) (joined by os.pathsep) with the original code\'s extra dependencies '
        '(torchvision; yacs for stcat), put first on sys.path for this process only '
        '(default: $MMSTVG_REF_PYTHONPATH)')
    parser.add_argument(
        '--settings',
        nargs='+',
        help='settings to compare (default: all; tubedetr and stcat: vidstg hcstvg-v1 '
        'hcstvg-v2)')
    parser.add_argument('--num-frames', type=int, default=10, help='frames of the clip')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--atol', type=float, default=1e-4, help='max |difference| allowed')
    parser.add_argument(
        '--dtype',
        choices=('float32', 'float64'),
        default='float32',
        help='float64: both models in double precision, where the gradients are gated too')
    parser.add_argument(
        '--grad-rtol',
        type=float,
        default=1e-6,
        help='float64: max gradient difference relative to the parameter\'s largest '
        'gradient')
    parser.add_argument('--work-dir', help='keep the saved and converted checkpoints here')
    args = parser.parse_args(argv)
    settings = get_method(args.method)[1]
    args.settings = args.settings or list(settings)
    unknown = [s for s in args.settings if s not in settings]
    if unknown:
        parser.error(f'unknown settings {unknown}; {args.method} has {list(settings)}')
    if args.num_frames < 6:
        parser.error('--num-frames must be >= 6 (GT moment on positions 2..T-3)')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    passed = get_method(args.method)[0](args)
    return 0 if passed else 1


if __name__ == '__main__':
    sys.exit(main())
