"""mmstvg.structures.span: the span maths shared by the models and the evaluation, checked on
hand-computed values (numpy and torch give the same)."""
import numpy as np
import pytest
import torch

import mmstvg.evaluation.functional as F
from mmstvg.structures import (mask_to_positions, positions_to_span, span_hull, span_intersection,
                               span_overlaps, span_to_positions, temporal_iou)

# (pred, gt, tIoU) of half-open spans, computed by hand
IOU_CASES = [
    ((0, 10), (0, 10), 1.0),  # identical
    ((0, 10), (10, 20), 0.0),  # adjacent half-open spans share no frame
    ((0, 5), (20, 30), 0.0),  # disjoint
    ((12, 14), (10, 20), 2 / 10),  # inside GT: inter 2, union 10
    ((5, 25), (10, 20), 10 / 20),  # GT inside pred: inter 10, union 20
    ((14, 24), (10, 20), 6 / 14),  # inter [14,20)=6, union [10,24)=14
    ((7, 8), (7, 8), 1.0),  # single-frame spans, same frame
    ((7, 8), (8, 9), 0.0),  # single-frame spans, next frame
    ((7, 8), (5, 10), 1 / 5),  # single frame inside a 5-frame GT
    ((5, 5), (0, 10), 0.0),  # empty predicted span
]


@pytest.mark.parametrize('pred, gt, expected', IOU_CASES)
def test_temporal_iou(pred, gt, expected):
    assert temporal_iou(pred, gt) == pytest.approx(expected)
    assert temporal_iou(gt, pred) == pytest.approx(expected)  # symmetric


def test_span_overlaps_numpy_and_torch_agree_with_hand_values():
    pred = [c[0] for c in IOU_CASES]
    gt = [c[1] for c in IOU_CASES]
    expected = np.array([c[2] for c in IOU_CASES])
    np_iou = span_overlaps(np.array(pred), np.array(gt))
    assert isinstance(np_iou, np.ndarray)
    np.testing.assert_allclose(np_iou, expected, atol=1e-12)
    for dtype in (torch.long, torch.float32):
        t_iou = span_overlaps(torch.tensor(pred, dtype=dtype), torch.tensor(gt, dtype=dtype))
        assert isinstance(t_iou, torch.Tensor) and t_iou.is_floating_point()
        np.testing.assert_allclose(t_iou.numpy(), expected, atol=1e-6)
    # fractional spans in steps, broadcasting (3, 1, 2) against (2, 2): by hand
    a = np.array([[[0.5, 2.5]], [[1.0, 1.0]], [[2.0, 4.0]]])
    b = np.array([[1.5, 3.0], [0.0, 1.0]])
    hand = np.array([
        [1.0 / 2.5, 0.5 / 2.5],  # [.5,2.5)&[1.5,3): 1 / 2.5; &[0,1): .5 / 2.5
        [0.0, 0.0],  # empty span: 0 (and no division by 0)
        [1.0 / 2.5, 0.0]
    ])  # [2,4)&[1.5,3): 1 / 2.5; &[0,1): 0
    np.testing.assert_allclose(span_overlaps(a, b), hand, atol=1e-12)
    np.testing.assert_allclose(
        span_overlaps(torch.tensor(a), torch.tensor(b)).numpy(), hand, atol=1e-12)
    # two empty spans: union 0 -> 0, not NaN
    assert span_overlaps(np.array([3, 3]), np.array([3, 3])) == 0
    assert span_overlaps(torch.tensor([3., 3.]), torch.tensor([3., 3.])).item() == 0


def test_intersection_and_hull():
    assert span_intersection((0, 10), (5, 20)) == (5, 10)
    assert span_intersection((0, 5), (8, 9)) == (8, 5)  # empty: end <= start
    assert span_hull((0, 10), (15, 20)) == (0, 20)  # the gap counts in the hull
    assert span_hull((3, 4), (1, 2)) == (1, 4)


def test_evaluation_functional_re_exports_the_same_functions():
    assert F.temporal_iou is temporal_iou
    assert F.span_hull is span_hull and F.span_intersection is span_intersection


def test_mask_to_positions():
    in_span = torch.tensor([[0, 1, 1, 0, 1], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.bool)
    frame_mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 1, 1, 0, 0]],
                              dtype=torch.bool)
    first, last, has = mask_to_positions(in_span, frame_mask)
    assert first.tolist() == [1, 5, 0]  # no in-span step: T
    assert last.tolist() == [4, -1, 2]  # padded steps never count
    assert has.tolist() == [True, False, True]


def test_positions_to_span_midpoints():
    inds = [0, 4, 8, 12]
    # one sampled frame in the middle stands for [2, 6)
    assert positions_to_span(1, 1, inds, (0, 16)) == (2, 6)
    # first/last positions extend to the clip edges
    assert positions_to_span(0, 3, inds, (0, 16)) == (0, 16)
    assert positions_to_span(2, 3, inds, (0, 15)) == (6, 15)
    # odd gaps round the midpoint up: frames 1 and 4 -> (1 + 4 + 1) // 2 = 3
    assert positions_to_span(1, 1, [1, 4, 9], (0, 10)) == (3, 7)


def test_span_to_positions():
    assert span_to_positions(3.0, 7.0, 10) == (3, 6)
    assert span_to_positions(3.5, 5.5, 10) == (3, 4)
    assert span_to_positions(0.0, 10.0, 8) == (0, 7)
    assert span_to_positions(2.6, 2.9, 10) == (2, 2)  # no step centre inside: midpoint
    assert span_to_positions(-1.0, 0.2, 5) == (0, 0)
    i, j = span_to_positions(4.2, 6.7, 10)
    assert (i, j) == (4, 6) and isinstance(i, int) and isinstance(j, int)
