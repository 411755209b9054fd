# Copyright (c) mmstvg contributors.
"""CG-STVG vs its original code: the ``cgstvg`` method of ``compare_with_reference.py``
(imported by it; not a script of its own). It reuses the ``stcat`` method's module
(``compare_stcat.py``) for what the family shares.

Usage (``configs/cgstvg/README.md`` tells how to get the folders)::

    python tools/analysis_tools/compare_with_reference.py --method cgstvg \\
        --ref-repo /path/to/CGSTVG --ref-pythonpath /path/to/refdeps:/path/to/torchvision-dir

``--ref-repo`` (or ``$MMSTVG_CGSTVG_REPO``) is a checkout of HengLan/CGSTVG (compared at
f062d84b); ``--ref-pythonpath`` (or ``$MMSTVG_REF_PYTHONPATH``) holds ``yacs`` and
``torchvision`` as for STCAT. ``timm`` (``DropPath``, ``trunc_normal_``) and ``easydict`` are
given by stand-ins when not importable (mmcv's ``DropPath`` / mmengine's ``trunc_normal_``, a
dict with attribute access).

What runs, per setting (``hcstvg-v1``, ``hcstvg-v2``, ``vidstg``: the released
``experiments/{hcstvg,hcstvg2,vidstg}.yaml``):

1. the original model built by the original code (``config.defaults`` + the yaml,
   ``models.build_model``) at its original sizes (ResNet-101, RoBERTa-base, VidSwin-T, 6 encoder
   and 6 + 6 decoder layers) with seeded random weights (STCAT's scheme); its VidSwin-T is built
   without the Kinetics file (``vidswin_model`` reads it from ``model_zoo/``; random weights
   instead);
2. saved in the released format, converted by ``tools/model_converters/stcat2mmstvg.py
   --method cgstvg --config <the setting's config>`` and loaded with ``strict=True``;
3. a short clip (``--num-frames`` frames of a 640x360 (v1), 1280x720 (v2) or 640x480 (VidSTG)
   video) resized as the fork's datasets do (height 420, width ``min(int(420 w / h), 588)``,
   torchvision's antialiased ``Resize``), then the original evaluation transform;
4. eval mode (``iteration_rate = -1``: reliable frames from the confidences and actionness):
   every decoder layer's boxes, confidences, start/end and actionness logits, the decoded tube
   (``engine.evaluate.single_forward``), the losses (``VideoSTGLoss`` incl. ``loss_conf``);
5. train mode (``iteration_rate = 0.5``: reliable frames from the GT), dropout and stochastic
   depth off in both: outputs, every weighted loss term and the gradients.

The number of reliable frames selected per layer is printed (with random weights and the
released thresholds a selection may be empty; ``$MMSTVG_GUIDANCE_THRESHOLDS`` lowers them to
exercise the context path: not the released settings, reported as such).
"""
import contextlib
import copy
import io
import os
import os.path as osp
import sys
import tempfile
import types
from collections import OrderedDict
from typing import Dict, List

import numpy as np
import torch

#: the commit of HengLan/CGSTVG this comparison was written against
CGSTVG_COMMIT = 'f062d84b'
REPO_ENV = 'MMSTVG_CGSTVG_REPO'
METHOD = 'cgstvg'

SETTINGS = OrderedDict([
    ('hcstvg-v1',
     dict(
         config='configs/cgstvg/cgstvg_r101-vidswin-t_8xb1-res420-90e_hcstvg-v1.py',
         yaml='experiments/hcstvg.yaml',
         video_wh=(640, 360),
         seed_offset=0)),
    ('hcstvg-v2',
     dict(
         config='configs/cgstvg/cgstvg_r101-vidswin-t_8xb1-res420-90e_hcstvg-v2.py',
         yaml='experiments/hcstvg2.yaml',
         video_wh=(1280, 720),
         seed_offset=1)),
    ('vidstg',
     dict(
         config='configs/cgstvg/cgstvg_r101-vidswin-t_8xb1-res420-10e_vidstg.py',
         yaml='experiments/vidstg.yaml',
         video_wh=(640, 480),
         seed_offset=2)),
])


def stand_in_modules() -> Dict[str, types.ModuleType]:
    """``timm.models.layers`` and ``easydict`` stand-ins for names not importable."""
    mods = {}
    try:
        import timm.models.layers  # noqa: F401
    except Exception:
        from mmcv.cnn.bricks.drop import DropPath
        from mmengine.model.weight_init import trunc_normal_
        timm = types.ModuleType('timm')
        timm_models = types.ModuleType('timm.models')
        layers = types.ModuleType('timm.models.layers')
        layers.DropPath, layers.trunc_normal_ = DropPath, trunc_normal_
        timm.models, timm_models.layers = timm_models, layers
        mods.update({'timm': timm, 'timm.models': timm_models, 'timm.models.layers': layers})
    try:
        import easydict  # noqa: F401
    except ImportError:

        class EasyDict(dict):

            def __getattr__(self, name):
                try:
                    return self[name]
                except KeyError as err:
                    raise AttributeError(name) from err

        easydict = types.ModuleType('easydict')
        easydict.EasyDict = EasyDict
        mods['easydict'] = easydict
    return mods


def install_shims(common, stcat, ref_repo: str, ref_pythonpath) -> Dict[str, object]:
    """STCAT's shims, the stand-ins and a VidSwin-T built without its Kinetics file."""
    ref_repo = osp.abspath(ref_repo)
    if not osp.isfile(osp.join(ref_repo, 'models', 'vidswin', 'video_swin_transformer.py')):
        raise SystemExit(f'{ref_repo} is not a CG-STVG / TA-STVG checkout (no models/vidswin)')
    for name, module in stand_in_modules().items():
        sys.modules.setdefault(name, module)
    common.import_reference_torchvision(ref_pythonpath)
    import torchvision.transforms.functional as tvf
    original_resize = tvf.resize
    mods = stcat.install_shims(common, ref_repo, ref_pythonpath)
    stcat_resize = tvf.resize

    def _resize(img, size, *args, **kwargs):
        # torchvision's ``Resize`` passes antialias positionally (the forks' datasets ask for
        # antialias=True): call torchvision as is; other calls keep STCAT's default
        if len(args) >= 3 or 'antialias' in kwargs:
            return original_resize(img, size, *args, **kwargs)
        return stcat_resize(img, size, *args, **kwargs)

    tvf.resize = _resize
    import importlib
    swin = importlib.import_module('models.vidswin.video_swin_transformer')
    pipeline = importlib.import_module('models.pipeline')

    def _vidswin(name, path=None):
        return swin.VideoSwinTransformerBackbone(False, None, True, **swin.configs[name])

    pipeline.vidswin_model = _vidswin
    mods.update(swin=swin, pipeline=pipeline)
    return mods


def fork_resize(frames: torch.Tensor, resolution: int = 420, max_rate: float = 1.4):
    """The forks' per-frame resize at decoding (``datasets/hcstvg.py``), on (T, 3, H, W) 0..1
    frames, with the original's torchvision."""
    from torchvision.transforms import Resize
    h, w = frames.shape[-2:]
    rate = w / h
    size = (resolution, min(int(resolution * rate), int(resolution * max_rate)))
    return torch.stack([Resize(size, antialias=True)(f) for f in frames])


def make_clip(common, mods, cfg, setting: dict, num_frames: int, seed: int, caption: str) -> dict:
    """The synthetic clip: the forks' resize, then the original evaluation transform."""
    w0, h0 = setting['video_wh']
    raw = common.smooth_frames(num_frames, (w0, h0), seed)
    inter = list(range(2, num_frames - 2))
    boxes_xywh = common.random_boxes(len(inter), (w0, h0), seed)
    xyxy = boxes_xywh.copy()
    xyxy[:, 2:] += xyxy[:, :2]
    xyxy[:, 0::2] = xyxy[:, 0::2].clip(0, w0)
    xyxy[:, 1::2] = xyxy[:, 1::2].clip(0, h0)
    frames = torch.from_numpy(raw).permute(0, 3, 1, 2).float() / 255  # ToTensor
    frames = fork_resize(frames, cfg.INPUT.RESOLUTION)
    boxs = mods['bounding_box'].BoxList(torch.as_tensor(xyxy), (w0, h0), 'xyxy')
    actioness = np.zeros(num_frames, dtype=np.int64)
    actioness[inter] = 1
    transform = mods['build'].build_transforms(cfg, is_train=False)
    out = transform(dict(frames=frames, boxs=boxs, text=caption, actioness=actioness))
    frame_ids = [3 * i for i in range(num_frames)]
    target = dict(
        item_id=0,
        vid='v0',
        frame_ids=frame_ids,
        actioness=torch.from_numpy(actioness),
        boxs=out['boxs'],
        img_size=out['frames'].shape[2:],
        ori_size=(h0, w0),
        qtype='declar')
    return dict(
        images=out['frames'].transpose(0, 1).contiguous(),
        frames=out['frames'],
        target=target,
        video_wh=(w0, h0),
        frames_id=frame_ids,
        clip=(0, frame_ids[-1] + 1),
        video_fps=30.0,
        inter=inter,
        boxes_xywh=boxes_xywh)


def no_stochastic_layers(model: torch.nn.Module, common) -> None:
    """Dropout p = 0 (also float ``dropout`` attributes) and stochastic depth off (VidSwin's
    DropPath)."""
    common.disable_dropout(model)
    for m in model.modules():
        if hasattr(m, 'drop_prob'):
            m.drop_prob = 0.0
        # the attention-weight dropout of modules keeping it as a float (the released
        # conditional cross-attention, mmstvg's ConditionalCrossAttention)
        if isinstance(getattr(m, 'dropout', None), float):
            m.dropout = 0.0


def layer_outputs(model, inputs, samples) -> List[Dict[str, torch.Tensor]]:
    """Every decoder layer's head outputs (and confidences) of the mmstvg model."""
    feats = model.extract_feat(inputs, samples)
    outs = []
    for i in range(feats['layer_queries'].shape[0]):
        layer = dict(feats, queries=feats['layer_queries'][i], seq=feats['layer_seq'][i])
        out = dict(model.spatial_head(layer), **model.temporal_head(layer))
        if 'layer_conf' in feats:
            out['conf'] = feats['layer_conf'][i]
        outs.append(out)
    return outs


OUTPUT_KEYS = [('pred_boxes', 'boxes', 'boxes (cxcywh)'),
               ('pred_sted', 'sted_logits', 'start/end logits'),
               ('pred_actioness', 'actionness_logits', 'actionness logits'),
               ('boxes_conf', 'conf', 'instance confidences')]


def compare_outputs(report,
                    name: str,
                    mode: str,
                    ref_out: dict,
                    outs: List[Dict[str, torch.Tensor]],
                    keys=OUTPUT_KEYS) -> None:
    ref_layers = [*ref_out['aux_outputs'], ref_out]
    if len(ref_layers) != len(outs):
        raise AssertionError(f'{len(ref_layers)} decoder layers vs {len(outs)}')
    for ref_key, key, what in keys:
        diff = scale = 0.0
        for ref_layer, out in zip(ref_layers, outs):
            a, b = ref_layer[ref_key], out[key]
            b = b.reshape(a.shape)
            diff = max(diff, float((a.double() - b.double()).abs().max()))
            scale = max(scale, float(a.abs().max()))
        report.add(name, mode, f'{what} ({len(outs)} layers)', diff, scale=scale)


def grad_name(key_map, key: str):
    """mmstvg name of an original parameter (a shared module's second name maps to the
    first's)."""
    new = key_map.rename(key) if key_map.drop_reason(key) is None else None
    if new is None:
        for pattern, template in key_map.equal_copies:
            if pattern.fullmatch(key):
                return key_map.rename(pattern.sub(template, key))
    return new


def compare_gradients(common, report, name: str, opts, model, ours, key_map) -> None:
    """:func:`compare_with_reference.compare_gradients` with the fork's parameter names."""
    common.compare_gradients(report, name, opts, model, ours, lambda k: grad_name(key_map, k))


def convert_and_load(common,
                     model,
                     name: str,
                     setting: dict,
                     work_dir: str,
                     method: str,
                     model_overrides=None):
    """Released format -> converter CLI (``--method``) -> mmstvg model, strict."""
    from mmengine.config import Config

    from mmstvg.registry import MODELS
    from mmstvg.testing import import_script, strip_pretrained
    state = model.state_dict()
    other = {k: v + 0.01 if v.is_floating_point() else v for k, v in state.items()}
    src = osp.join(work_dir, f'{method}_{name}.pth')
    dst = osp.join(work_dir, f'{method}_{name}_mmstvg.pth')
    torch.save(dict(model=other, model_ema=state, optimizer={}, iteration=100), src)
    config = osp.join(common.REPO, setting['config'])
    converter = import_script('tools/model_converters/stcat2mmstvg.py')
    with contextlib.redirect_stdout(io.StringIO()):
        converter.main([src, dst, '--method', method, '--config', config])
    converted = torch.load(dst, map_location='cpu', weights_only=True)
    if converted['meta']['source_weights'] != 'model_ema':
        raise AssertionError('the converter did not take the `model_ema` weights')
    model_cfg = strip_pretrained(Config.fromfile(config).model.to_dict())
    if model_overrides:
        model_overrides(model_cfg)
    ours = MODELS.build(model_cfg)
    ours.load_state_dict(converted['state_dict'], strict=True)
    print(f'[{name}] converted {len(converted["state_dict"])} keys, loaded strictly', flush=True)
    return ours


def mmstvg_loss_names(losses: dict, weight_dict: dict, renames: dict = None):
    """The original's loss dict and weights under mmstvg's term names (``loss_actioness`` ->
    ``loss_actionness``, plus ``renames``), aux suffixes ``_{i}`` kept."""
    renames = dict({'loss_actioness': 'loss_actionness'}, **(renames or {}))

    def rename(key):
        base, sep, layer = key.rpartition('_')
        if sep and layer.isdigit() and base in renames:
            return f'{renames[base]}_{layer}'
        return renames.get(key, key)

    return ({
        rename(k): v
        for k, v in losses.items()
    }, {
        rename(k): v
        for k, v in weight_dict.items()
    })


def _thresholds(opts):
    """``$MMSTVG_GUIDANCE_THRESHOLDS`` = 'train_iou,test_conf,test_actioness' (not the
    released settings: exercises the context path with random weights)."""
    values = os.environ.get('MMSTVG_GUIDANCE_THRESHOLDS')
    return None if not values else [float(v) for v in values.split(',')]


def reference_cfg(stcat, mods, setting: dict, opts):
    cfg = mods['defaults']._C.clone()
    cfg.merge_from_file(osp.join(opts.ref_repo, setting['yaml']))
    cfg.MODEL.DEVICE = 'cpu'
    thr = _thresholds(opts)
    if thr:
        cfg.MODEL.CG.SPAT_GT_THETA, cfg.MODEL.CG.SPAT_THETA, cfg.MODEL.CG.TEMP_THETA = thr
    cfg.freeze()
    return cfg


def run_setting(common, stcat, mods, name: str, setting: dict, opts, report,
                work_dir: str) -> None:
    from mmstvg.models.utils.stcat_converter import KEY_MAPS
    print(f'[{name}] building the original CG-STVG', flush=True)
    cfg = reference_cfg(stcat, mods, setting, opts)
    token_ids = common.caption_token_ids(common.CAPTION)
    common._ShimTokenizer.token_ids = {common.CAPTION: token_ids}
    seed = opts.seed + 100 * setting['seed_offset']
    data = make_clip(common, mods, cfg, setting, opts.num_frames, seed, common.CAPTION)
    model, criterion, weight_dict = stcat._build_reference(common, mods, cfg, data['frames'], seed)
    thr = _thresholds(opts)

    def overrides(model_cfg):
        if thr:
            model_cfg['decoder']['guidance'].update(
                train_iou_thr=thr[0], test_conf_thr=thr[1], test_actioness_thr=thr[2])

    ours = convert_and_load(common, model, name, setting, work_dir, METHOD, overrides)
    inputs, sample = common._mmstvg_inputs(data, token_ids)
    videos = mods['misc'].NestedTensor.from_tensor_list([data['frames']])
    durations = [data['frames'].shape[0]]
    texts = [common.CAPTION]
    target = data['target']
    target['durations'] = durations

    # ---------------------------------------------------------------- eval mode
    print(f'[{name}] eval mode', flush=True)
    model.eval()
    with torch.no_grad():
        ref_out = model(videos, texts, [target])
        recorded = stcat._detach(ref_out)
        ref_losses = criterion(ref_out, [target], durations)
        bbox_pred, temp_pred = mods['evaluate'].single_forward(
            cfg, model, videos, texts, [copy.copy(target)], torch.device('cpu'),
            mods['models'].build_postprocessors())
    ours.eval()
    with torch.no_grad(), selection_counter(ours) as counts:
        outs = layer_outputs(ours, inputs, [sample])
        eval_losses = ours.loss(inputs, [copy.deepcopy(sample)])
        pred = ours.predict(inputs, [copy.deepcopy(sample)])[0].pred_tube
    print(f'[{name}] eval: reliable frames per decoder layer {counts[:6]}', flush=True)
    compare_outputs(report, name, 'eval', recorded, outs)
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
    stcat._compare_losses(common, report, name, 'eval',
                          *mmstvg_loss_names(ref_losses, weight_dict), eval_losses)

    # --------------------------------------------------------------- train mode
    print(f'[{name}] train mode (dropout and stochastic depth off)', flush=True)
    no_stochastic_layers(model, common)
    no_stochastic_layers(ours, common)
    model.train()
    model.zero_grad()
    ref_out = model(videos, texts, [target], 0.5)
    recorded = stcat._detach(ref_out)
    ref_losses = criterion(ref_out, [target], durations)
    total = sum(ref_losses[k] * weight_dict[k] for k in ref_losses if k in weight_dict)
    total.backward()
    ours.train()
    ours.zero_grad()
    with selection_counter(ours) as counts:
        losses = ours.loss(inputs, [copy.deepcopy(sample)])
    print(f'[{name}] train: reliable frames per decoder layer {counts}', flush=True)
    ours_total, _ = ours.parse_losses(losses)
    ours_total.backward()
    with torch.no_grad():
        outs = layer_outputs(ours, inputs, [sample])
    compare_outputs(report, name, 'train', recorded, outs)
    stcat._compare_losses(common, report, name, 'train',
                          *mmstvg_loss_names(ref_losses, weight_dict), losses)
    compare_gradients(common, report, name, opts, model, ours, KEY_MAPS[METHOD])


@contextlib.contextmanager
def selection_counter(ours):
    """Record how many reliable frames each guided decoder layer selects (mmstvg side)."""
    counts: List[int] = []
    guidance = getattr(ours.decoder, 'guidance', None)
    if guidance is None:
        yield counts
        return
    forward = guidance.forward

    def _count(*args, **kwargs):
        out = forward(*args, **kwargs)
        counts.append(int(out['index'].numel()))
        return out

    guidance.forward = _count
    try:
        yield counts
    finally:
        del guidance.forward


def compare(opts, common) -> bool:
    """Run the comparison of every requested setting; True when all are within tolerance."""
    ref_repo = opts.ref_repo or os.environ.get(REPO_ENV)
    if not ref_repo:
        raise SystemExit(f'give the CG-STVG checkout: --ref-repo or ${REPO_ENV}')
    opts.ref_repo = ref_repo
    ref_pythonpath = opts.ref_pythonpath or os.environ.get('MMSTVG_REF_PYTHONPATH')
    stcat = common.method_module('stcat')
    mods = install_shims(common, stcat, ref_repo, ref_pythonpath)
    from mmstvg.utils import register_all_modules
    register_all_modules()
    if opts.dtype == 'float64':
        torch.set_default_dtype(torch.float64)
    report = common.Report(opts.atol)
    with tempfile.TemporaryDirectory() as tmp:
        work_dir = opts.work_dir or tmp
        os.makedirs(work_dir, exist_ok=True)
        for name in opts.settings:
            run_setting(common, stcat, mods, name, SETTINGS[name], opts, report, work_dir)
    print(report.summary())
    return report.passed
