# Copyright (c) mmstvg contributors.
"""STCAT vs its original code: the ``stcat`` method of ``compare_with_reference.py`` (imported
by it; not a script of its own).

Usage (``configs/stcat/README.md`` tells how to get both folders)::

    python tools/analysis_tools/compare_with_reference.py --method stcat \\
        --ref-repo /path/to/STCAT --ref-pythonpath /path/to/refdeps:/path/to/torchvision-dir

``--ref-repo`` (or ``$MMSTVG_STCAT_REPO``) is a checkout of jy0205/STCAT (compared at commit
400f5481); ``--ref-pythonpath`` (or ``$MMSTVG_REF_PYTHONPATH``) the folders holding what the
original code imports and mmstvg does not: ``yacs`` and ``torchvision`` (``pip install
--no-deps --target DIR yacs==0.1.8 torchvision==0.28.0``), never in mmstvg's environment.

What runs, per setting (``hcstvg-v1``, ``hcstvg-v2``, ``vidstg``: the released
``experiments/*.yaml``; HC-STVG v2 has no STCAT yaml nor checkpoint and uses HC-STVG's, on a
1280x720 video):

1. the original model is built by the original code (``config.defaults`` merged with the
   yaml, ``models.build_model``) at its original sizes (ResNet-101, RoBERTa-base, 6 encoder
   and 6 + 6 decoder layers, d = 256) with seeded random weights: every bias, LayerNorm and
   frozen BatchNorm affine random, the frozen BatchNorm statistics calibrated on the clip
   (``compare_with_reference.calibrate_frozen_bn``);
2. its weights are saved in the released format (``model``, ``model_ema``, ``optimizer``,
   ``iteration``; ``model_ema`` holds the compared weights, ``model`` others, so the converter
   must pick the averaged ones) and converted by ``tools/model_converters/stcat2mmstvg.py
   --method stcat --config <the setting's config>`` (weights-only load); the result is loaded
   into the model of the mmstvg config with ``strict=True``;
3. a short clip (``--num-frames`` frames of a 640x360 (HC-STVG v1), 1280x720 (v2) or 640x480
   (VidSTG) video; smooth random pixels; a GT moment on positions 2..T-3 with random boxes;
   a caption tokenised by mmstvg's offline word-level tokenizer) is pre-processed by the
   original evaluation transform (``datasets.build.build_transforms(cfg, is_train=False)``:
   short side 448, long side <= 720, ImageNet normalisation; boxes normalised cxcywh) and by
   mmstvg's (``DETRResize`` + ``STVGDataPreprocessor`` of the same uint8 frames: sizes and
   boxes compared, pixels reported); both models get the original's tensors and the same
   token ids;
4. eval mode: the original's forward, its criterion (``VideoSTGLoss`` with ``weight_dict``) and
   the decoding of one pass (``engine.evaluate.single_forward`` with ``PostProcess``);
   compared: boxes, start/end logits, actionness logits and the temporal decoder's
   self-attention weights of every decoder layer, the decoded tube (span in original frames,
   boxes in original pixels) and the losses;
5. train mode, dropout off in both models (p = 0: the two codes draw their masks in different
   orders): one forward / backward of the original's training step (its criterion, the
   weighted sum of ``train_net.py``); compared: the same outputs, every loss term (6 layers x
   L1, GIoU, KL start/end, actionness, guided attention, weighted) and their sum, and the
   gradient of every parameter (gated in float64 only, ``--dtype float64``, as TubeDETR's).

Shims for the original code (nothing of it is copied or changed; all live here or in
``compare_with_reference.py``):

- torchvision as for TubeDETR (``register_fake`` wrap; ``resnet101(pretrained=True)``
  random); its tensor ``resize`` is called with ``antialias=False``, the behaviour of the
  torchvision the released code was run with (0.11; newer versions anti-alias tensors by
  default);
- ``RobertaModel`` / ``RobertaTokenizerFast`` in ``models.language_model.bert`` (hub calls,
  ``batch_encode_plus``): RoBERTa-base's architecture with random weights and a tokenizer
  returning the given token ids;
- stub modules for imports the compared code never uses: ``pytorch_pretrained_bert`` (BERT /
  LSTM text encoders), ``torchtext`` (GloVe), ``ffmpeg`` (video decoding).
"""
import contextlib
import copy
import io
import os
import os.path as osp
import sys
import tempfile
from collections import OrderedDict
from typing import Dict, List

import numpy as np
import torch

#: the commit of jy0205/STCAT this comparison was written against
STCAT_COMMIT = '400f5481'
REPO_ENV = 'MMSTVG_STCAT_REPO'
REF_TOP_LEVEL = ('config', 'models', 'utils', 'datasets', 'engine')

#: per setting: the mmstvg config, the released yaml, the synthetic video's size
SETTINGS = OrderedDict([
    ('hcstvg-v1',
     dict(
         config='configs/stcat/stcat_r101-mdetr-pre_8xb1-res448-90e_hcstvg-v1.py',
         yaml='experiments/HC-STVG/e2e_STCAT_R101_HCSTVG.yaml',
         video_wh=(640, 360),
         seed_offset=0)),
    ('hcstvg-v2',
     dict(
         config='configs/stcat/stcat_r101-mdetr-pre_8xb1-res448-90e_hcstvg-v2.py',
         yaml='experiments/HC-STVG/e2e_STCAT_R101_HCSTVG.yaml',
         video_wh=(1280, 720),
         seed_offset=1)),
    ('vidstg',
     dict(
         config='configs/stcat/stcat_r101-mdetr-pre_8xb1-res448-10e_vidstg.py',
         yaml='experiments/VidSTG/e2e_STCAT_R101_VidSTG.yaml',
         video_wh=(640, 480),
         seed_offset=2)),
])


def install_shims(common, ref_repo: str, ref_pythonpath) -> Dict[str, object]:
    """Import the original STCAT modules with the shims of the module docstring."""
    ref_repo = osp.abspath(ref_repo)
    if not osp.isfile(osp.join(ref_repo, 'models', 'pipeline.py')) or not osp.isfile(
            osp.join(ref_repo, 'config', 'defaults.py')):
        raise SystemExit(f'{ref_repo} is not an STCAT checkout (no models/pipeline.py)')
    clash = [
        n for n in REF_TOP_LEVEL if n in sys.modules
        and not (getattr(sys.modules[n], '__file__', '') or '').startswith(ref_repo)
    ]
    if clash:
        raise SystemExit(f'modules {clash} are already imported from elsewhere; the original '
                         'code needs these top-level names: run the comparison in a fresh '
                         'process')
    import transformers  # noqa: F401
    from transformers import RobertaModel, RobertaTokenizerFast  # noqa: F401
    tv = common.import_reference_torchvision(ref_pythonpath)
    try:
        import yacs  # noqa: F401
    except ImportError:
        raise SystemExit('the original code needs yacs: `pip install --no-deps --target DIR '
                         'yacs==0.1.8` and add DIR to --ref-pythonpath')
    import torchvision.transforms.functional as tvf
    resize = tvf.resize

    def _resize(img, size, *args, **kwargs):
        if isinstance(img, torch.Tensor):
            kwargs.setdefault('antialias', False)
        return resize(img, size, *args, **kwargs)

    tvf.resize = _resize
    for name in ('pytorch_pretrained_bert', 'pytorch_pretrained_bert.modeling',
                 'pytorch_pretrained_bert.tokenization', 'torchtext', 'ffmpeg'):
        if name not in sys.modules:
            sys.modules[name] = common._stub_module(name)
    sys.modules['pytorch_pretrained_bert'].modeling = sys.modules[
        'pytorch_pretrained_bert.modeling']
    sys.modules['pytorch_pretrained_bert.modeling'].BertModel = None
    sys.modules['pytorch_pretrained_bert.tokenization'].BertTokenizer = None
    common.add_reference_path(ref_repo)
    import importlib
    mods = dict(
        torchvision=tv,
        defaults=importlib.import_module('config.defaults'),
        models=importlib.import_module('models'),
        bert=importlib.import_module('models.language_model.bert'),
        backbone=importlib.import_module('models.vision_model.backbone'),
        misc=importlib.import_module('utils.misc'),
        bounding_box=importlib.import_module('utils.bounding_box'),
        build=importlib.import_module('datasets.build'),
        evaluate=importlib.import_module('engine.evaluate'))
    mods['bert'].RobertaModel = common._ShimRoberta
    mods['bert'].RobertaTokenizerFast = common._ShimTokenizer
    return mods


def _reference_cfg(mods, setting: dict, ref_repo: str):
    cfg = mods['defaults']._C.clone()
    cfg.merge_from_file(osp.join(ref_repo, setting['yaml']))
    cfg.MODEL.DEVICE = 'cpu'
    cfg.freeze()
    return cfg


def _clip(common, mods, cfg, setting: dict, num_frames: int, seed: int, caption: str) -> dict:
    """The synthetic clip, pre-processed by the original evaluation transform."""
    w0, h0 = setting['video_wh']
    raw = common.smooth_frames(num_frames, (w0, h0), seed)
    inter = list(range(2, num_frames - 2))
    boxes_xywh = common.random_boxes(len(inter), (w0, h0), seed)
    xyxy = boxes_xywh.copy()
    xyxy[:, 2:] += xyxy[:, :2]
    xyxy[:, 0::2] = xyxy[:, 0::2].clip(0, w0)
    xyxy[:, 1::2] = xyxy[:, 1::2].clip(0, h0)
    frames = torch.from_numpy(raw).permute(0, 3, 1, 2).float() / 255  # ToTensor
    boxs = mods['bounding_box'].BoxList(torch.as_tensor(xyxy), (w0, h0), 'xyxy')
    actioness = np.zeros(num_frames, dtype=np.int64)
    actioness[inter] = 1
    transform = mods['build'].build_transforms(cfg, is_train=False)
    out = transform(dict(frames=frames, boxs=boxs, text=caption, actioness=actioness))
    frame_ids = [3 * i for i in range(num_frames)]  # a 6.4 fps sampling of a 20 s video
    target = dict(
        item_id=0,
        frame_ids=frame_ids,
        actioness=torch.from_numpy(actioness),
        boxs=out['boxs'],
        img_size=out['frames'].shape[2:],
        ori_size=(h0, w0),
        qtype='declar')
    return dict(
        images=out['frames'].transpose(0, 1).contiguous(),  # (3, T, H, W)
        frames=out['frames'],
        raw=raw,
        gt_xyxy=xyxy,
        target=target,
        video_wh=(w0, h0),
        frames_id=frame_ids,
        clip=(0, frame_ids[-1] + 1),
        video_fps=30.0,
        inter=inter,
        boxes_xywh=boxes_xywh)


def _compare_preprocessing(report, name: str, data: dict, cfg) -> None:
    """mmstvg's test-time ``DETRResize`` + ``STVGDataPreprocessor`` of the same uint8 frames vs
    the original's evaluation transform (resize of [0, 1] float frames, normalisation).

    The sizes must be equal and the boxes are gated; the pixels are reported only: mmstvg
    resizes uint8 frames with OpenCV, the original float frames with torchvision (bilinear, no
    anti-aliasing), so they differ by the uint8 rounding of the resized frame (<= 0.5 / 255
    before normalisation) and the two libraries' bilinear kernels."""
    from mmstvg.registry import MODELS, TRANSFORMS
    resize = TRANSFORMS.build(next(t for t in cfg.test_pipeline if t['type'] == 'DETRResize'))
    w0, h0 = data['video_wh']
    gt = np.zeros((len(data['frames_id']), 4), dtype=np.float32)
    gt[data['inter']] = data['gt_xyxy']
    results = resize(
        dict(imgs=list(data['raw']), img_shape=(h0, w0), modality='RGB', gt_bboxes=gt))
    preprocessor = MODELS.build(cfg.model.data_preprocessor)
    imgs = torch.from_numpy(np.stack(results['imgs'])).permute(0, 3, 1, 2)
    out = preprocessor(dict(inputs=[dict(imgs=imgs)], data_samples=None))['inputs']['imgs']
    ref = data['frames'][None]
    if tuple(out.shape) != tuple(ref.shape):
        raise AssertionError(f'{name}: mmstvg resizes to {tuple(out.shape)}, the original to '
                             f'{tuple(ref.shape)}')
    report.add(name, 'data', f'frame size {tuple(ref.shape[-2:])} (equal)', 0.0)
    report.compare(
        name, 'data', 'frames after resize + normalisation (pixels)', out, ref, gate=False)
    h, w = results['img_shape']
    boxes = torch.as_tensor(results['gt_bboxes'][data['inter']], dtype=torch.float64)
    cxcywh = torch.cat([(boxes[:, :2] + boxes[:, 2:]) / 2, boxes[:, 2:] - boxes[:, :2]], 1)
    report.compare(name, 'data', 'GT boxes (normalised cxcywh)',
                   cxcywh / torch.tensor([w, h, w, h]), data['target']['boxs'].bbox)


def _build_reference(common, mods, cfg, frames: torch.Tensor, seed: int):
    torch.manual_seed(seed)
    with contextlib.redirect_stdout(io.StringIO()):
        model, criterion, weight_dict = mods['models'].build_model(cfg)
    common.randomize_parameters(model, seed)
    # the decoder's box MLP is the head's (one module): randomised once, both names agree
    common.calibrate_frozen_bn(model.vis_encoder[0].body, mods['backbone'].FrozenBatchNorm2d,
                               frames, seed)
    return model, criterion, weight_dict


def _detach(value):
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, dict):
        return {k: _detach(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_detach(v) for v in value]
    return value


def _layer_outputs(model, inputs, samples) -> List[Dict[str, torch.Tensor]]:
    feats = model.extract_feat(inputs, samples)
    outs = []
    for i in range(feats['layer_queries'].shape[0]):
        layer = dict(
            feats,
            queries=feats['layer_queries'][i],
            ref_anchors=feats['layer_anchors'][i],
            seq=feats['layer_seq'][i])
        out = dict(model.spatial_head(layer), **model.temporal_head(layer))
        out['self_attn'] = feats['self_attn'][i]
        outs.append(out)
    return outs


def _compare_outputs(report, name: str, mode: str, ref_out: dict,
                     outs: List[Dict[str, torch.Tensor]]) -> None:
    ref_layers = [*ref_out['aux_outputs'], ref_out]
    if len(ref_layers) != len(outs):
        raise AssertionError(f'{len(ref_layers)} decoder layers vs {len(outs)}')
    keys = [('pred_boxes', 'boxes', 'boxes (cxcywh)'),
            ('pred_sted', 'sted_logits', 'start/end logits'),
            ('pred_actioness', 'actionness_logits', 'actionness logits'),
            ('weights', 'self_attn', 'temporal self-attention weights')]
    for ref_key, key, what in keys:
        diff = scale = 0.0
        for ref_layer, out in zip(ref_layers, outs):
            a, b = ref_layer[ref_key], out[key]
            b = b.reshape(a.shape)
            diff = max(diff, float((a.double() - b.double()).abs().max()))
            scale = max(scale, float(a.abs().max()))
        report.add(name, mode, f'{what} ({len(outs)} layers)', diff, scale=scale)


def _compare_losses(common, report, name: str, mode: str, ref_losses: Dict[str, torch.Tensor],
                    weight_dict: Dict[str, float], losses: Dict[str, torch.Tensor]) -> None:
    ref_terms = common._ref_loss_terms({
        k: float(v.detach())
        for k, v in ref_losses.items()
    }, weight_dict)
    # the released spelling (``loss_actioness``) -> mmstvg's
    ref_terms = {k.replace('actioness', 'actionness'): v for k, v in ref_terms.items()}
    ours = {k: float(v.detach()) for k, v in losses.items()}
    if set(ref_terms) != set(ours):
        raise AssertionError(f'{name} {mode}: loss terms differ: only in the original '
                             f'{sorted(set(ref_terms) - set(ours))}, only in mmstvg '
                             f'{sorted(set(ours) - set(ref_terms))}')
    for base in sorted({k.split('.')[-1] for k in ours}):
        keys = [k for k in ours if k.split('.')[-1] == base]
        diff = max(abs(ours[k] - ref_terms[k]) for k in keys)
        scale = max(abs(ref_terms[k]) for k in keys)
        report.add(name, mode, f'{base} (weighted, {len(keys)} layers)', diff, scale=scale)
    total = sum(ref_terms.values())
    report.add(name, mode, 'loss total', abs(sum(ours.values()) - total), scale=abs(total))


def run_setting(common, mods, name: str, setting: dict, opts, report, work_dir: str) -> None:
    from mmengine.config import Config

    from mmstvg.models.utils.stcat_converter import stcat_key_to_mmstvg
    from mmstvg.registry import MODELS
    from mmstvg.testing import import_script, strip_pretrained
    print(f'[{name}] building the original STCAT', flush=True)
    cfg = _reference_cfg(mods, setting, opts.ref_repo)
    token_ids = common.caption_token_ids(common.CAPTION)
    common._ShimTokenizer.token_ids = {common.CAPTION: token_ids}
    seed = opts.seed + 100 * setting['seed_offset']
    data = _clip(common, mods, cfg, setting, opts.num_frames, seed, common.CAPTION)
    model, criterion, weight_dict = _build_reference(common, mods, cfg, data['frames'], seed)

    # released format -> converter CLI -> mmstvg model, strict
    state = model.state_dict()
    other = {k: v + 0.01 if v.is_floating_point() else v for k, v in state.items()}
    src = osp.join(work_dir, f'stcat_{name}.pth')
    dst = osp.join(work_dir, f'stcat_{name}_mmstvg.pth')
    torch.save(dict(model=other, model_ema=state, optimizer={}, iteration=100), src)
    config = osp.join(common.REPO, setting['config'])
    converter = import_script('tools/model_converters/stcat2mmstvg.py')
    with contextlib.redirect_stdout(io.StringIO()):
        converter.main([src, dst, '--method', 'stcat', '--config', config])
    converted = torch.load(dst, map_location='cpu', weights_only=True)
    if converted['meta']['source_weights'] != 'model_ema':
        raise AssertionError('the converter did not take the `model_ema` weights')
    ours = MODELS.build(strip_pretrained(Config.fromfile(config).model.to_dict()))
    ours.load_state_dict(converted['state_dict'], strict=True)
    print(f'[{name}] converted {len(converted["state_dict"])} keys, loaded strictly', flush=True)

    _compare_preprocessing(report, name, data, Config.fromfile(config))
    inputs, sample = common._mmstvg_inputs(data, token_ids)
    misc = mods['misc']
    videos = misc.NestedTensor.from_tensor_list([data['frames']])
    durations = [data['frames'].shape[0]]
    texts = [common.CAPTION]
    target = data['target']

    # ---------------------------------------------------------------- eval mode
    print(f'[{name}] eval mode', flush=True)
    model.eval()
    with torch.no_grad():
        ref_out = model(videos, texts)
        recorded = _detach(ref_out)
        ref_losses = criterion(ref_out, [target], durations)
        bbox_pred, temp_pred = mods['evaluate'].single_forward(
            cfg, model, videos, texts, [target], torch.device('cpu'),
            mods['models'].build_postprocessors())
    ours.eval()
    with torch.no_grad():
        outs = _layer_outputs(ours, inputs, [sample])
        eval_losses = ours.loss(inputs, [copy.deepcopy(sample)])
        pred = ours.predict(inputs, [copy.deepcopy(sample)])[0].pred_tube
    _compare_outputs(report, name, 'eval', recorded, outs)
    ref_span = temp_pred[0]['sted']
    span = pred.span.tolist()
    report.add(name, 'eval', f'decoded span (frames) {span} vs {ref_span}',
               float(max(abs(a - b) for a, b in zip(span, ref_span))))
    w0, h0 = data['video_wh']
    ref_boxes = torch.tensor([bbox_pred[0][f][0] for f in pred.frame_ids.tolist()])
    # the released post-processor clamps boxes at 0 only; mmstvg clips them to the frame
    clipped = ref_boxes.clone()
    clipped[:, 0::2] = clipped[:, 0::2].clamp(max=w0)
    clipped[:, 1::2] = clipped[:, 1::2].clamp(max=h0)
    report.compare(name, 'eval', 'decoded boxes (original pixels / long side)',
                   pred.bboxes / max(w0, h0), clipped / max(w0, h0))
    report.add(
        name,
        'eval',
        'decoded boxes beyond the frame (released: unclipped)',
        float((ref_boxes - clipped).abs().max()) / max(w0, h0),
        gate=False)
    _compare_losses(common, report, name, 'eval', ref_losses, weight_dict, eval_losses)

    # --------------------------------------------------------------- train mode
    print(f'[{name}] train mode (dropout off)', flush=True)
    common.disable_dropout(model)
    common.disable_dropout(ours)
    # the attention-weight dropout of the decoders' conditional cross-attention (the released
    # attention.MultiheadAttention, mmstvg's ConditionalCrossAttention): a float attribute
    for m in [*model.modules(), *ours.modules()]:
        if type(m).__name__ in ('MultiheadAttention', 'ConditionalCrossAttention') and \
                isinstance(getattr(m, 'dropout', None), float):
            m.dropout = 0.0
    model.train()
    model.zero_grad()
    ref_out = model(videos, texts)
    recorded = _detach(ref_out)
    ref_losses = criterion(ref_out, [target], durations)
    total = sum(ref_losses[k] * weight_dict[k] for k in ref_losses if k in weight_dict)
    total.backward()
    ours.train()
    ours.zero_grad()
    losses = ours.loss(inputs, [copy.deepcopy(sample)])
    ours_total, _ = ours.parse_losses(losses)
    ours_total.backward()
    with torch.no_grad():
        outs = _layer_outputs(ours, inputs, [sample])
    _compare_outputs(report, name, 'train', recorded, outs)
    _compare_losses(common, report, name, 'train', ref_losses, weight_dict, losses)
    common.compare_gradients(
        report, name, opts, model, ours, stcat_key_to_mmstvg, outside='image_backbone.')


def compare(opts, common) -> bool:
    """Run the comparison of every requested setting; True when all are within tolerance."""
    ref_repo = opts.ref_repo or os.environ.get(REPO_ENV)
    if not ref_repo:
        raise SystemExit(f'give the STCAT checkout: --ref-repo or ${REPO_ENV}')
    opts.ref_repo = ref_repo
    ref_pythonpath = opts.ref_pythonpath or os.environ.get('MMSTVG_REF_PYTHONPATH')
    mods = install_shims(common, ref_repo, ref_pythonpath)
    from mmstvg.utils import register_all_modules
    register_all_modules()
    if opts.dtype == 'float64':
        torch.set_default_dtype(torch.float64)
    report = common.Report(opts.atol)
    with tempfile.TemporaryDirectory() as tmp:
        work_dir = opts.work_dir or tmp
        os.makedirs(work_dir, exist_ok=True)
        for name in opts.settings:
            run_setting(common, mods, name, SETTINGS[name], opts, report, work_dir)
    print(report.summary())
    return report.passed
