"""``test_cfg=dict(use_gt_span=True)``: spatial grounding given the temporal ground truth
(GKCMN's Table 2), implemented once in ``BaseGrounder.predict_tubes``."""
import copy

import pytest
import torch

from mmstvg.registry import MODELS
from mmstvg.testing import demo_grounding_inputs, get_tiny_gkcmn_cfg
from mmstvg.testing.tiny_models import half_size_sample
from mmstvg.utils import register_all_modules

register_all_modules()


def _gkcmn_inputs(samples, num_frames=8, seed=1):
    inputs, _ = demo_grounding_inputs(len(samples), num_frames, img_shape=(48, 48))
    inputs.pop('imgs')
    g = torch.Generator().manual_seed(seed)
    inputs['features'] = torch.randn(len(samples), num_frames, 4, 4, 16, generator=g)
    return inputs


def _every_frame_sample(qid, n, gt_span):
    """A sample whose N sampled frames are every frame 0 ... N-1 of an N-frame video."""
    in_span = torch.zeros(n, dtype=torch.bool)
    in_span[gt_span[0]:gt_span[1]] = True
    s = half_size_sample(qid, (48, 48), in_span, torch.tensor([10., 12., 30., 40.]), gt_span)
    s.set_metainfo(dict(frame_inds=list(range(n)), clip=(0, n), num_frames=n))
    return s


def _tiny(bm=False, **test_cfg):
    torch.manual_seed(0)
    cfg = get_tiny_gkcmn_cfg(bm=bm)
    if test_cfg:
        cfg['test_cfg'] = test_cfg
    return MODELS.build(cfg).eval()


@pytest.mark.parametrize('bm', [False, True], ids=['gkcmn', 'bm'])
def test_gt_span_replaces_the_predicted_span(bm):
    """The tube is the GT span, with the spatial head's box at every frame of it (here every
    frame is sampled), and those boxes are the ones the model predicts without the option."""
    n = 8
    samples = [_every_frame_sample('q0', n, (2, 6)), _every_frame_sample('q1', n, (0, 3))]
    inputs = _gkcmn_inputs(samples, n)
    model = _tiny(bm=bm, use_gt_span=True)
    with torch.no_grad():
        out = model(inputs, copy.deepcopy(samples), mode='predict')
        boxes, _ = model.spatial_head.predict_by_feat(model._forward(inputs)['spatial'])
    for k, (sample, (start, end)) in enumerate(zip(out, [(2, 6), (0, 3)])):
        tube = sample.pred_tube
        assert tube.span.tolist() == [start, end]
        assert tube.frame_ids.tolist() == list(range(start, end))
        assert 'score' not in tube
        # the spatial head's boxes of those frames, in original pixels (x2)
        expected = boxes[k, start:end] * 48 * 2
        torch.testing.assert_close(tube.bboxes, expected.clamp(0, 96))


def test_gt_span_with_sparse_sampling_keeps_the_sampled_frames_inside_it():
    # frames 0, 2, ..., 14 sampled; GT span [4, 12): sampled frames 4, 6, 8, 10
    inputs, samples = demo_grounding_inputs(2, 8, img_shape=(48, 48))
    inputs = _gkcmn_inputs(samples)
    with torch.no_grad():
        out = _tiny(use_gt_span=True)(inputs, samples, mode='predict')
    for s in out:
        assert s.pred_tube.span.tolist() == s.gt_tube.span.tolist() == [4, 12]
        assert s.pred_tube.frame_ids.tolist() == [4, 6, 8, 10]
        assert s.pred_tube.bboxes.shape == (4, 4)


def test_gt_span_between_two_sampled_frames_gets_the_nearest_box():
    # frames 0, 2, 4, ...; GT span [5, 6) holds no sampled frame: the box of the nearest
    # sampled frame (4) is placed on the span's frame 5
    inputs, samples = demo_grounding_inputs(1, 8, img_shape=(48, 48))
    samples[0].gt_tube.span = torch.tensor([5, 6])
    inputs = _gkcmn_inputs(samples)
    model = _tiny(use_gt_span=True)
    with torch.no_grad():
        (out, ) = model(inputs, copy.deepcopy(samples), mode='predict')
        boxes, _ = model.spatial_head.predict_by_feat(model._forward(inputs)['spatial'])
    assert out.pred_tube.span.tolist() == [5, 6]
    assert out.pred_tube.frame_ids.tolist() == [5]
    torch.testing.assert_close(out.pred_tube.bboxes, (boxes[0, 2:3] * 96).clamp(0, 96))


def test_off_changes_nothing():
    inputs, samples = demo_grounding_inputs(2, 8, img_shape=(48, 48))
    inputs = _gkcmn_inputs(samples)
    with torch.no_grad():
        default = _tiny()(inputs, copy.deepcopy(samples), mode='predict')
        off = _tiny(use_gt_span=False)(inputs, copy.deepcopy(samples), mode='predict')
    for a, b in zip(default, off):
        for key in ('span', 'frame_ids', 'bboxes'):
            torch.testing.assert_close(a.pred_tube.get(key), b.pred_tube.get(key))
        assert a.pred_tube.score == b.pred_tube.score


def test_gt_span_needs_the_gt_tube():
    inputs, samples = demo_grounding_inputs(1, 8, img_shape=(48, 48))
    inputs = _gkcmn_inputs(samples)
    del samples[0].gt_tube
    with pytest.raises(ValueError, match=r"'q0' has no GT span"), torch.no_grad():
        _tiny(use_gt_span=True)(inputs, samples, mode='predict')


def test_unknown_test_cfg_key_is_an_error():
    cfg = get_tiny_gkcmn_cfg()
    cfg['test_cfg'] = dict(use_gt_spans=True)
    with pytest.raises(ValueError, match='use_gt_spans'):
        MODELS.build(cfg)


def test_trivial_grounder_gets_the_option():
    _, samples = demo_grounding_inputs(1, 8, img_shape=(48, 48))
    model = MODELS.build(dict(type='TrivialGrounder', test_cfg=dict(use_gt_span=True)))
    (out, ) = model.predict({}, samples)
    assert out.pred_tube.span.tolist() == [4, 12]
    assert out.pred_tube.frame_ids.tolist() == list(range(4, 12))


def test_multi_pass_positions_follow_the_gt_span(network_free_grounder):
    """Two passes over frames 0 ... 7 (pass q holds positions q, q + 2, ...): the boxes of
    the sampled frames in the GT span [3, 6) come from the right pass and position."""
    sample = _every_frame_sample('q', 8, (3, 6))
    sample.set_metainfo(dict(img_shape=(10, 10), ori_shape=(10, 10), scale_factor=[1., 1.]))
    # pass q, step t holds position 2t + q; its box is [pos, pos, pos + 1, pos + 1] / 10
    boxes = torch.zeros(2, 4, 4)
    for q in range(2):
        for t in range(4):
            pos = 2 * t + q
            boxes[q, t] = torch.tensor([pos, pos, pos + 1, pos + 1]) / 10
    grounder = network_free_grounder(test_cfg=dict(use_gt_span=True))
    (out, ) = grounder.predict_tubes([sample], boxes, [(0, 0, 0.5)], num_passes=2)
    assert out.pred_tube.span.tolist() == [3, 6]
    assert out.pred_tube.frame_ids.tolist() == [3, 4, 5]
    assert out.pred_tube.bboxes[:, 0].tolist() == [3., 4., 5.]
