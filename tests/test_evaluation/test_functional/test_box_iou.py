import numpy as np
import pytest

from mmstvg.evaluation.functional import elementwise_box_iou, pairwise_box_iou


def test_elementwise_box_iou_hand_values():
    b1 = np.array([
        [0, 0, 10, 10],  # identical boxes -> 1
        [0, 0, 10, 10],  # half overlap: inter 5*10=50, union 100+100-50=150 -> 1/3
        [0, 0, 10, 10],  # disjoint -> 0
        [0, 0, 10, 10],  # touching edge x=10: inter 0 -> 0
        [0, 0, 10, 10]
    ])  # inside: inter 4*4=16, union 100 -> 0.16
    b2 = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30], [10, 0, 20, 10], [2, 2, 6,
                                                                                       6]])
    np.testing.assert_allclose(elementwise_box_iou(b1, b2), [1.0, 1 / 3, 0.0, 0.0, 0.16])


def test_no_plus_one_pixel_term():
    # [0,0,1,1] vs [0,0,2,1]: inter 1*1 = 1, union 1 + 2 - 1 = 2 -> 0.5.
    # With a +1 term it would be (2*2) / (4 + 6 - 4) = 2/3.
    assert elementwise_box_iou([[0, 0, 1, 1]], [[0, 0, 2, 1]])[0] == pytest.approx(0.5)


def test_degenerate_boxes_score_zero():
    # zero-area boxes: union 0 -> 0 (no nan); a box with x2 < x1 has zero area
    out = elementwise_box_iou([[5, 5, 5, 5], [4, 0, 2, 10]], [[5, 5, 5, 5], [0, 0, 10, 10]])
    np.testing.assert_array_equal(out, [0.0, 0.0])


def test_pairwise_box_iou_shape_and_values():
    b1 = np.array([[0, 0, 10, 10], [0, 0, 20, 20]], dtype=np.float32)
    b2 = np.array([[0, 0, 10, 10], [10, 10, 20, 20], [0, 0, 10, 5]])
    iou = pairwise_box_iou(b1, b2)
    assert iou.shape == (2, 3)
    # row 0: 1; 0 (touching corner); inter 50 / union 100 = 0.5
    # row 1: 100/400 = 0.25; 100/400 = 0.25; 50/400 = 0.125
    np.testing.assert_allclose(iou, [[1.0, 0.0, 0.5], [0.25, 0.25, 0.125]])
    np.testing.assert_allclose(np.diag(pairwise_box_iou(b1, b1)), [1.0, 1.0])


def test_elementwise_box_iou_checks_shapes():
    with pytest.raises(ValueError):
        elementwise_box_iou(np.zeros((2, 4)), np.zeros((3, 4)))
    with pytest.raises(ValueError):
        pairwise_box_iou(np.zeros((2, 3)), np.zeros((3, 4)))
