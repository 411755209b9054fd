import pytest

from mmstvg.evaluation.functional import span_hull, span_intersection, temporal_iou


@pytest.mark.parametrize(
    'pred, gt, expected',
    [
        ((0, 10), (0, 10), 1.0),          # identical
        ((0, 10), (10, 20), 0.0),         # adjacent half-open spans share no frame
        ((0, 5), (20, 30), 0.0),          # disjoint
        ((12, 14), (10, 20), 2 / 10),     # inside GT: inter 2, union 10
        ((5, 25), (10, 20), 10 / 20),     # GT inside pred: inter 10, union 20
        ((14, 24), (10, 20), 6 / 14),     # inter [14,20)=6, union [10,24)=14
        ((7, 8), (7, 8), 1.0),            # single-frame spans, same frame
        ((7, 8), (8, 9), 0.0),            # single-frame spans, next frame
        ((7, 8), (5, 10), 1 / 5),         # single frame inside a 5-frame GT
        ((5, 5), (0, 10), 0.0),           # empty predicted span
    ])
def test_temporal_iou(pred, gt, expected):
    assert temporal_iou(pred, gt) == pytest.approx(expected)
    assert temporal_iou(gt, pred) == pytest.approx(expected)  # symmetric


def test_span_helpers():
    assert span_intersection((0, 10), (5, 20)) == (5, 10)
    assert span_hull((0, 10), (15, 20)) == (0, 20)  # the gap counts in the hull
