import numpy as np

from mmstvg.evaluation.functional import densify_tube, interpolate_tube_boxes, merge_tube_keyframes


def test_linear_interpolation_and_held_ends():
    ids = [10, 14]
    boxes = [[0, 0, 10, 10], [4, 0, 14, 20]]
    out = interpolate_tube_boxes(ids, boxes, [8, 10, 11, 12, 14, 16])
    # 8: before the first box -> held [0,0,10,10]; 11: 1/4 of the way -> [1,0,11,12.5]
    # 12: half way -> [2,0,12,15]; 16: after the last -> held [4,0,14,20]
    np.testing.assert_allclose(out, [[0, 0, 10, 10], [0, 0, 10, 10], [1, 0, 11, 12.5],
                                     [2, 0, 12, 15], [4, 0, 14, 20], [4, 0, 14, 20]])


def test_unsorted_and_repeated_frames_are_merged():
    ids, boxes = merge_tube_keyframes([5, 3, 5], [[2, 2, 4, 4], [0, 0, 1, 1], [4, 4, 6, 6]])
    assert ids.tolist() == [3, 5]
    # frame 5 appears twice: mean of [2,2,4,4] and [4,4,6,6] = [3,3,5,5]
    np.testing.assert_allclose(boxes, [[0, 0, 1, 1], [3, 3, 5, 5]])


def test_densify_tube():
    frames, boxes = densify_tube((2, 5), [2, 4], [[0, 0, 2, 2], [2, 0, 4, 2]])
    assert frames.tolist() == [2, 3, 4]
    np.testing.assert_allclose(boxes, [[0, 0, 2, 2], [1, 0, 3, 2], [2, 0, 4, 2]])
    frames, boxes = densify_tube((5, 5), [5], [[0, 0, 1, 1]])
    assert frames.shape == (0, ) and boxes.shape == (0, 4)
