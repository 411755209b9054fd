import numpy as np

from mmstvg.evaluation.functional import (SUBMISSION_FRAME_BASE, submission_entry_to_tube,
                                          submission_to_tubes, tube_to_submission_entry)


def test_entry_is_one_based_inclusive_and_dense():
    # 0-based half-open [4, 7) -> 1-based inclusive st 5, ed 7; keys "5", "6", "7".
    # boxes given at 4 and 6 only; frame 5 interpolated to the mean.
    entry = tube_to_submission_entry((4, 7), [4, 6], [[0, 0, 2, 2], [2, 2, 4, 4]])
    assert SUBMISSION_FRAME_BASE == 1
    assert entry['st_frame'] == 5 and entry['ed_frame'] == 7
    assert entry['bbox'] == {'5': [0.0, 0.0, 2.0, 2.0], '6': [1.0, 1.0, 3.0, 3.0],
                             '7': [2.0, 2.0, 4.0, 4.0]}
    assert all(type(v) is float for box in entry['bbox'].values() for v in box)
    assert type(entry['st_frame']) is int


def test_entry_without_densify_keeps_given_frames():
    entry = tube_to_submission_entry((4, 7), [6, 4], [[2, 2, 4, 4], [0, 0, 2, 2]],
                                     densify=False)
    assert sorted(entry['bbox']) == ['5', '7']


def test_round_trip():
    span = (10, 13)
    boxes = np.array([[1.5, 2.25, 30.125, 40.0], [2, 3, 4, 5], [0.1, 0.2, 0.3, 0.4]])
    entry = tube_to_submission_entry(span, np.arange(10, 13), boxes)
    tube = submission_entry_to_tube(entry)
    assert tube['span'] == span
    assert tube['frame_ids'].tolist() == [10, 11, 12]
    np.testing.assert_array_equal(tube['bboxes'], boxes)  # floats survive exactly
    tubes = submission_to_tubes({'v.mp4': entry})
    assert list(tubes) == ['v.mp4']


def test_official_style_entry_is_read():
    # an entry as another codebase would write it (keys unsorted, ints)
    tube = submission_entry_to_tube(
        {'st_frame': 1, 'ed_frame': 2, 'bbox': {'2': [1, 1, 2, 2], '1': [0, 0, 1, 1]}})
    assert tube['span'] == (0, 2)
    assert tube['frame_ids'].tolist() == [0, 1]
    np.testing.assert_array_equal(tube['bboxes'], [[0, 0, 1, 1], [1, 1, 2, 2]])
