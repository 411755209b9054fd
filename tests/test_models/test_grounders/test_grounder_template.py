"""``BaseGrounder`` is the template of every grounder (issue 23): a model implements only its
feature extraction; training, inference (multi-pass included), ``use_gt_span`` and the tube
decoding are the base class's.

- the minimal grounder of ``docs/advanced_guides/add_model.md`` (its code and config, run as
  written) trains and predicts;
- multi-pass inference works for every grounder: passes that repeat the frames give the
  single-pass tube, the boxes come from the right pass, ``pass_batch`` changes nothing;
- the template's guards (no ``extract_feat``, a head of the wrong kind, a loss computed twice).
"""
import copy
import os.path as osp
import re

import pytest
import torch

from mmstvg.models.grounders import BaseGrounder
from mmstvg.registry import MODELS
from mmstvg.testing import (TINY_ROBERTA, demo_grounding_inputs, get_tiny_baseline_cfg,
                            get_tiny_gkcmn_cfg, get_tiny_stvgformer_cfg)
from mmstvg.utils import register_all_modules

register_all_modules()
REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
DOC = osp.join(REPO, 'docs', 'advanced_guides', 'add_model.md')


def _doc_block(marker: str) -> str:
    """The python block of add_model.md that contains ``marker``."""
    blocks = re.findall(r'```python\n(.*?)```', open(DOC).read(), re.S)
    found = [b for b in blocks if marker in b]
    assert len(found) == 1, f'{marker!r} in {len(found)} python blocks of {DOC}'
    return found[0]


def _doc_model_cfg() -> dict:
    """The doc's FiLMGrounder config, with a tiny random text encoder and small widths."""
    if 'FiLMGrounder' not in MODELS.module_dict:
        exec(compile(_doc_block('class FiLMGrounder'), DOC, 'exec'), {})
    scope = {}
    exec(compile(_doc_block("type='FiLMGrounder'"), DOC, 'exec'), scope)
    cfg = copy.deepcopy(scope['model'])
    cfg.pop('data_preprocessor')
    cfg.update(
        text_encoder=dict(type='HFTextEncoder', config=TINY_ROBERTA, out_channels=16),
        in_channels=12,
        embed_dims=16)
    cfg['spatial_head'].update(in_channels=16, feat_channels=8)
    cfg['temporal_head'].update(in_channels=16, hidden_dims=16)
    return cfg


# name: (model config, per-frame input keys and shapes (after B, N))
CASES = {
    'doc-example': (_doc_model_cfg, dict(features=(3, 3, 12))),
    'stvgformer': (lambda: get_tiny_stvgformer_cfg(video_backbone=None, clip_channels=12),
                   dict(imgs=(3, 48, 48), features=(2, 2, 12))),
    'gkcmn': (get_tiny_gkcmn_cfg, dict(features=(4, 4, 16))),
    'bm': (lambda: get_tiny_gkcmn_cfg(bm=True), dict(features=(4, 4, 16))),
    'baseline': (get_tiny_baseline_cfg, dict(imgs=(3, 48, 48))),
}


def _build(case, **test_cfg):
    cfg = CASES[case][0]()
    cfg.pop('data_preprocessor', None)
    if test_cfg:
        cfg['test_cfg'] = dict(cfg.get('test_cfg') or {}, **test_cfg)
    torch.manual_seed(0)
    return MODELS.build(cfg)


def _inputs(case, batch_size=2, num_frames=8, seed=1):
    inputs, samples = demo_grounding_inputs(batch_size, num_frames, img_shape=(48, 48))
    g = torch.Generator().manual_seed(seed)
    for key in ('imgs', 'features'):
        shape = CASES[case][1].get(key)
        if shape is None:
            inputs.pop(key, None)
        else:
            inputs[key] = torch.randn(batch_size, num_frames, *shape, generator=g)
    return inputs, samples


def _predict(model, inputs, samples):
    model.eval()
    with torch.no_grad():
        return model(copy.deepcopy(inputs), copy.deepcopy(samples), mode='predict')


def test_doc_example_trains_and_predicts():
    """add_model.md's grounder, which implements only ``extract_feat``: the losses are its
    heads', a few steps lower them, and it predicts tubes (one pass, several, GT span)."""
    model = _build('doc-example')
    assert type(model).__name__ == 'FiLMGrounder'
    inputs, samples = _inputs('doc-example')
    out = model(inputs, samples, mode='tensor')
    assert set(out) == {'feats', 'spatial', 'temporal'}
    assert out['feats']['maps'].shape[:3] == (2, 16, 8)
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {'loss_heatmap', 'loss_bbox', 'loss_span'}
    optim = torch.optim.AdamW(model.parameters(), lr=3e-3)
    totals = []
    for _ in range(8):
        total = sum(model(inputs, samples, mode='loss').values())
        totals.append(float(total))
        optim.zero_grad()
        total.backward()
        optim.step()
    totals.append(float(sum(model(inputs, samples, mode='loss').values())))
    assert totals[-1] < 0.9 * totals[0], totals
    for s in _predict(model, inputs, samples):
        start, end = s.pred_tube.span.tolist()
        assert 0 <= start < end <= 16
        assert s.pred_tube.bboxes.shape == (len(s.pred_tube.frame_ids), 4)
        assert (s.pred_tube.bboxes >= 0).all() and (s.pred_tube.bboxes <= 96).all()
    # two passes of 4 frames, and the GT span, with no code of the model's own
    inputs, samples = _inputs('doc-example', batch_size=1)
    samples[0].set_metainfo(dict(num_passes=2))
    (multi, ) = _predict(model, inputs, samples)
    assert set(multi.pred_tube.frame_ids.tolist()) <= set(range(0, 16, 2))
    gt_model = copy.deepcopy(model)
    gt_model.test_cfg = dict(use_gt_span=True)
    (gt, ) = _predict(gt_model, inputs, samples)
    assert gt.pred_tube.span.tolist() == gt.gt_tube.span.tolist()


def _repeat_passes(inputs, samples, num_passes):
    """Sample 0 as ``num_passes`` passes that each hold all its frames (every frame sampled
    ``num_passes`` times in a row), sample 1 left as one pass (padded)."""
    n = inputs['frame_mask'].shape[1]
    out = {}
    for key, value in inputs.items():
        if key in BaseGrounder.FRAME_INPUT_KEYS:
            rep = value[0].repeat_interleave(num_passes, dim=0)
            other = torch.zeros_like(rep)
            other[:n] = value[1]
            out[key] = torch.stack([rep, other])
        else:
            out[key] = value
    samples = copy.deepcopy(samples)
    frame_inds = samples[0].metainfo['frame_inds']
    samples[0].set_metainfo(
        dict(num_passes=num_passes, frame_inds=[f for f in frame_inds for _ in range(num_passes)]))
    return out, samples


@pytest.mark.parametrize('case', list(CASES))
def test_repeated_passes_give_the_single_pass_tube(case):
    """Every grounder predicts in several passes: when each pass holds the sample's frames,
    the passes' mean scores and boxes are the single pass's, so is the tube (also in a batch
    mixing a multi-pass sample with a single-pass one)."""
    model = _build(case)
    inputs, samples = _inputs(case)
    single = _predict(model, inputs, samples)
    multi = _predict(model, *_repeat_passes(inputs, samples, 2))
    for a, b in zip(single, multi):
        assert a.pred_tube.span.tolist() == b.pred_tube.span.tolist()
        assert a.pred_tube.frame_ids.tolist() == b.pred_tube.frame_ids.tolist()
        torch.testing.assert_close(a.pred_tube.bboxes, b.pred_tube.bboxes, atol=1e-3, rtol=1e-4)
        assert a.pred_tube.get('score') == pytest.approx(b.pred_tube.get('score'), abs=1e-4)


@pytest.mark.parametrize('case', list(CASES))
def test_multi_pass_boxes_come_from_their_pass(case):
    """P = 2 passes of T = 4 frames: the span is the temporal head's decoding of both passes
    (pass q = positions q, q + 2, ...), every frame in it has the box its pass predicts."""
    model = _build(case).eval()
    inputs, samples = _inputs(case, batch_size=1)
    sample = samples[0]
    sample.set_metainfo(dict(num_passes=2))
    frame_inds = sample.metainfo['frame_inds']
    with torch.no_grad():
        outs = []
        for q in range(2):
            pin = {
                k: (v[:, q::2] if k in BaseGrounder.FRAME_INPUT_KEYS else v)
                for k, v in inputs.items()
            }
            outs.append(model(pin, [sample], mode='tensor'))
        temporal = {k: torch.cat([o['temporal'][k] for o in outs]) for k in outs[0]['temporal']}
        mask = inputs['frame_mask'][0].view(4, 2).t()
        ((i, j, _), ) = model.temporal_head.predict_by_feat(temporal, mask, 2)
        boxes = [model.spatial_head.predict_by_feat(o['spatial'])[0][0] for o in outs]
        (result, ) = model(inputs, copy.deepcopy(samples), mode='predict')
    tube = result.pred_tube
    assert tube.frame_ids.tolist() == frame_inds[2 * i:2 * j + 2]
    for k, frame in enumerate(tube.frame_ids.tolist()):
        pos = frame_inds.index(frame)
        box = boxes[pos % 2][pos // 2] * 48  # normalised, of a 48 x 48 frame
        expected = BaseGrounder.boxes_to_original(box[None], sample.metainfo)[0]
        torch.testing.assert_close(tube.bboxes[k], expected, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize('case', ['stvgformer', 'gkcmn', 'baseline'])
def test_pass_batch_changes_nothing(case):
    """``test_cfg.pass_batch`` bounds how many passes run together, nothing else."""
    inputs, samples = _inputs(case, batch_size=1, num_frames=12)
    samples[0].set_metainfo(dict(num_passes=4))
    results = [
        _predict(_build(case, pass_batch=pb), inputs, samples)[0].pred_tube for pb in (1, 3, 4)
    ]
    for other in results[1:]:
        assert other.span.tolist() == results[0].span.tolist()
        torch.testing.assert_close(other.bboxes, results[0].bboxes, atol=1e-4, rtol=1e-4)
    with pytest.raises(ValueError, match='pass_batch'):
        _build(case, pass_batch=0)


def test_multi_pass_with_gt_span():
    """``use_gt_span`` and multi-pass inference combine in every grounder (here GKCMN)."""
    inputs, samples = _inputs('gkcmn', batch_size=2)
    for s in samples:
        s.set_metainfo(dict(num_passes=2))
    for s in _predict(_build('gkcmn', use_gt_span=True), inputs, samples):
        assert s.pred_tube.span.tolist() == s.gt_tube.span.tolist() == [4, 12]
        assert s.pred_tube.frame_ids.tolist() == [4, 6, 8, 10]


class _NoFeatures(BaseGrounder):

    def __init__(self, spatial_head, temporal_head):
        super().__init__()
        self.build_heads(spatial_head, temporal_head)


class _Heads(BaseGrounder):
    """A grounder whose features are the inputs' ``seq``."""

    def __init__(self, spatial_head, temporal_head, extra=None):
        super().__init__()
        self.build_heads(spatial_head, temporal_head)
        self.extra = extra or {}

    def extract_feat(self, inputs, data_samples=None):
        return dict(seq=inputs['seq'], queries=inputs['seq'])

    def extra_losses(self, feats, targets):
        return {k: feats['seq'].sum() * 0 + v for k, v in self.extra.items()}


SPATIAL = dict(type='TubeBoxHead', in_channels=4, hidden_dims=4)
TEMPORAL = dict(type='SpanScoreHead', in_channels=4, hidden_dims=4)


def test_template_guards():
    with pytest.raises(TypeError, match='implements no `extract_feat`'):
        _NoFeatures(SPATIAL, TEMPORAL)
    with pytest.raises(TypeError, match='spatial_head must be a BaseSpatialHead'):
        _Heads(TEMPORAL, TEMPORAL)
    inputs, samples = demo_grounding_inputs(2, 8)
    inputs = dict(seq=torch.randn(2, 8, 4), frame_mask=inputs['frame_mask'])
    model = _Heads(SPATIAL, TEMPORAL, extra=dict(loss_extra=1.0))
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {'loss_bbox', 'loss_giou', 'loss_span', 'loss_extra'}
    # the frame mask comes from the inputs when extract_feat leaves it out
    assert torch.equal(model(inputs, samples)['feats']['frame_mask'], inputs['frame_mask'])
    with pytest.raises(KeyError, match=r"\['loss_span'\] computed twice"):
        _Heads(SPATIAL, TEMPORAL, extra=dict(loss_span=1.0))(inputs, samples, mode='loss')
    with pytest.raises(NotImplementedError, match='no heads'):
        BaseGrounder()(inputs, samples, mode='loss')
