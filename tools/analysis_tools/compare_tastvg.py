# Copyright (c) mmstvg contributors.
"""TA-STVG vs its original code: the ``tastvg`` method of ``compare_with_reference.py``
(imported by it). Built on the ``cgstvg`` method's module (``compare_cgstvg.py``: shims, clip,
conversion, gradients) and the ``stcat`` one.

Usage::

    python tools/analysis_tools/compare_with_reference.py --method tastvg \\
        --ref-repo /path/to/TA-STVG --ref-pythonpath /path/to/refdeps:/path/to/torchvision-dir

``--ref-repo`` (or ``$MMSTVG_TASTVG_REPO``): a checkout of HengLan/TA-STVG (compared at
904ad0c3). Per setting (``hcstvg-v1``, ``hcstvg-v2``, ``vidstg``: ``experiments/*.yaml``) as
for CG-STVG, with:

- TA-STVG's per-query annotation (``annos/{train,test}.json``, read by its model at build time)
  replaced by one synthetic entry (subject ``'man'``, attribute words ``[1, 4]``, action words
  ``[3, 7]``); the original grounds ``'man ' + caption``, mmstvg gets the same token ids and
  the labels in the sample's metainfo (as ``LoadTASTVGLabels`` gives them);
- eval mode (``iteration_rate = -1``): the original's two decodings (the second from the frames
  its first decoding finds active); compared: every layer's boxes, start/end and actionness
  logits, the four target-aware logits (frame relevance, attribute / action words), the
  decoded tube, every loss;
- train mode (``iteration_rate = 0.5``, one decoding), dropout / stochastic depth off: the same
  and the gradients.

Loss names: the original's ``logits_f_a`` / ``logits_f_m`` / ``logits_r_a`` / ``logits_r_m``
are mmstvg's ``loss_frame_appearance`` / ``loss_frame_motion`` / ``loss_attr_appearance`` /
``loss_attr_motion``.
"""
import copy
import os
import tempfile
from collections import OrderedDict

import torch

TASTVG_COMMIT = '904ad0c3'
REPO_ENV = 'MMSTVG_TASTVG_REPO'
METHOD = 'tastvg'
SUBJECT = 'man'
ATTR_LABELS = [1, 4]
ACTION_LABELS = [3, 7]
LOSS_NAMES = {
    'logits_f_a': 'loss_frame_appearance',
    'logits_f_m': 'loss_frame_motion',
    'logits_r_a': 'loss_attr_appearance',
    'logits_r_m': 'loss_attr_motion'
}

SETTINGS = OrderedDict([
    ('hcstvg-v1',
     dict(
         config='configs/tastvg/tastvg_r101-vidswin-t_32xb1-res420-90e_hcstvg-v1.py',
         yaml='experiments/hcstvg.yaml',
         video_wh=(640, 360),
         seed_offset=0)),
    ('hcstvg-v2',
     dict(
         config='configs/tastvg/tastvg_r101-vidswin-t_32xb1-res420-90e_hcstvg-v2.py',
         yaml='experiments/hcstvg2.yaml',
         video_wh=(1280, 720),
         seed_offset=1)),
    ('vidstg',
     dict(
         config='configs/tastvg/tastvg_r101-vidswin-t_32xb1-res420-11e_vidstg.py',
         yaml='experiments/vidstg.yaml',
         video_wh=(640, 480),
         seed_offset=2)),
])

OUTPUT_KEYS = [('pred_boxes', 'boxes', 'boxes (cxcywh)'),
               ('pred_sted', 'sted_logits', 'start/end logits'),
               ('pred_actioness', 'actionness_logits', 'actionness logits')]
TA_KEYS = [('logits_f_a', 'logits_frame_appearance', 'frame relevance logits (appearance)'),
           ('logits_f_m', 'logits_frame_motion', 'frame relevance logits (motion)'),
           ('logits_r_a', 'logits_attr_appearance', 'attribute word logits'),
           ('logits_r_m', 'logits_attr_motion', 'action word logits')]


def install_shims(common, cg, stcat, ref_repo, ref_pythonpath):
    mods = cg.install_shims(common, stcat, ref_repo, ref_pythonpath)
    entry = dict(sub=SUBJECT, adj_index_list=ATTR_LABELS, verb_index_list=ACTION_LABELS)
    # the model's annotation files (read in TASTVGNet.__init__): one synthetic query, keyed
    # by the HC-STVG video name and the VidSTG item id of the clip
    mods['pipeline'].load_json = lambda path: {'v0': entry, '0': entry}
    return mods


def compare_ta_outputs(report, name, mode, ref_out, feats):
    for ref_key, key, what in TA_KEYS:
        a, b = ref_out[ref_key], feats[key]
        report.add(
            name,
            mode,
            what,
            float((a.double() - b.reshape(a.shape).double()).abs().max()),
            scale=float(a.abs().max()))


def run_setting(common, cg, stcat, mods, name, setting, opts, report, work_dir):
    from mmstvg.models.utils.stcat_converter import KEY_MAPS
    print(f'[{name}] building the original TA-STVG', flush=True)
    cfg = cg.reference_cfg(stcat, mods, setting, opts)
    text = f'{SUBJECT} {common.CAPTION}'
    token_ids = common.caption_token_ids(text)
    common._ShimTokenizer.token_ids = {text: token_ids}
    seed = opts.seed + 100 * setting['seed_offset']
    data = cg.make_clip(common, mods, cfg, setting, opts.num_frames, seed, common.CAPTION)
    model, criterion, weight_dict = stcat._build_reference(common, mods, cfg, data['frames'], seed)
    ours = cg.convert_and_load(common, model, name, setting, work_dir, METHOD)
    inputs, sample = common._mmstvg_inputs(data, token_ids)
    sample.set_metainfo(dict(ta_attr_labels=ATTR_LABELS, ta_action_labels=ACTION_LABELS))
    videos = mods['misc'].NestedTensor.from_tensor_list([data['frames']])
    durations = [data['frames'].shape[0]]
    texts = [common.CAPTION]
    target = data['target']
    target['durations'] = durations

    def compare_all(mode, ref_out, losses_ref, losses):
        with torch.no_grad():
            feats = ours.extract_feat(inputs, [sample])
            outs = []
            for i in range(feats['layer_queries'].shape[0]):
                layer = dict(feats, queries=feats['layer_queries'][i], seq=feats['layer_seq'][i])
                outs.append(dict(ours.spatial_head(layer), **ours.temporal_head(layer)))
        cg.compare_outputs(report, name, mode, ref_out, outs, OUTPUT_KEYS)
        compare_ta_outputs(report, name, mode, ref_out, feats)
        ref_terms, weights = cg.mmstvg_loss_names(losses_ref, weight_dict, LOSS_NAMES)
        stcat._compare_losses(common, report, name, mode, ref_terms, weights, losses)

    print(f'[{name}] eval mode', flush=True)
    model.eval()
    with torch.no_grad():
        ref_out = model(videos, texts, [target])
        recorded = stcat._detach(ref_out)
        ref_losses = criterion(ref_out, [target], durations)
        bbox_pred, _, temp_pred, _ = mods['evaluate'].single_forward(
            cfg, model, videos, texts, [copy.copy(target)], torch.device('cpu'),
            mods['models'].build_postprocessors())
    ours.eval()
    with torch.no_grad():
        eval_losses = ours.loss(inputs, [copy.deepcopy(sample)])
        pred = ours.predict(inputs, [copy.deepcopy(sample)])[0].pred_tube
    compare_all('eval', recorded, ref_losses, eval_losses)
    ref_span = temp_pred[target['item_id']]['sted']
    span = pred.span.tolist()
    report.add(name, 'eval', f'decoded span (frames) {span} vs {ref_span}',
               float(max(abs(a - b) for a, b in zip(span, ref_span))))
    w0, h0 = data['video_wh']
    ref_boxes = torch.tensor([bbox_pred[target['item_id']][f][0] for f in pred.frame_ids.tolist()])
    clipped = ref_boxes.clone()
    clipped[:, 0::2] = clipped[:, 0::2].clamp(max=w0)
    clipped[:, 1::2] = clipped[:, 1::2].clamp(max=h0)
    report.compare(name, 'eval', 'decoded boxes (original pixels / long side)',
                   pred.bboxes / max(w0, h0), clipped / max(w0, h0))

    print(f'[{name}] train mode (dropout and stochastic depth off)', flush=True)
    cg.no_stochastic_layers(model, common)
    cg.no_stochastic_layers(ours, common)
    model.train()
    model.zero_grad()
    ref_out = model(videos, texts, [target], 0.5)
    recorded = stcat._detach(ref_out)
    ref_losses = criterion(ref_out, [target], durations)
    total = sum(ref_losses[k] * weight_dict[k] for k in ref_losses if k in weight_dict)
    total.backward()
    ours.train()
    ours.zero_grad()
    losses = ours.loss(inputs, [copy.deepcopy(sample)])
    ours_total, _ = ours.parse_losses(losses)
    ours_total.backward()
    compare_all('train', recorded, ref_losses, losses)
    cg.compare_gradients(common, report, name, opts, model, ours, KEY_MAPS[METHOD])


def compare(opts, common) -> bool:
    """Run the comparison of every requested setting; True when all are within tolerance."""
    ref_repo = opts.ref_repo or os.environ.get(REPO_ENV)
    if not ref_repo:
        raise SystemExit(f'give the TA-STVG checkout: --ref-repo or ${REPO_ENV}')
    opts.ref_repo = ref_repo
    ref_pythonpath = opts.ref_pythonpath or os.environ.get('MMSTVG_REF_PYTHONPATH')
    stcat = common.method_module('stcat')
    cg = common.method_module('cgstvg')
    mods = install_shims(common, cg, stcat, ref_repo, ref_pythonpath)
    from mmstvg.utils import register_all_modules
    register_all_modules()
    if opts.dtype == 'float64':
        torch.set_default_dtype(torch.float64)
    report = common.Report(opts.atol)
    with tempfile.TemporaryDirectory() as tmp:
        work_dir = opts.work_dir or tmp
        os.makedirs(work_dir, exist_ok=True)
        for name in opts.settings:
            run_setting(common, cg, stcat, mods, name, SETTINGS[name], opts, report, work_dir)
    print(report.summary())
    return report.passed
