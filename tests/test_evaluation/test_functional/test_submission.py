import numpy as np
import pytest

from mmstvg.evaluation.functional import (SUBMISSION_FRAME_BASE, InvalidSubmissionError,
                                          check_submission_entry, parse_submission,
                                          submission_entry_to_tube, submission_to_tubes,
                                          tube_to_submission_entry)


def test_entry_is_one_based_inclusive_and_dense():
    # 0-based half-open [4, 7) -> 1-based inclusive st 5, ed 7; keys "5", "6", "7".
    # boxes given at 4 and 6 only; frame 5 interpolated to the mean.
    entry = tube_to_submission_entry((4, 7), [4, 6], [[0, 0, 2, 2], [2, 2, 4, 4]])
    assert SUBMISSION_FRAME_BASE == 1
    assert entry['st_frame'] == 5 and entry['ed_frame'] == 7
    assert entry['bbox'] == {
        '5': [0.0, 0.0, 2.0, 2.0],
        '6': [1.0, 1.0, 3.0, 3.0],
        '7': [2.0, 2.0, 4.0, 4.0]
    }
    assert all(type(v) is float for box in entry['bbox'].values() for v in box)
    assert type(entry['st_frame']) is int


def test_entry_without_densify_keeps_given_frames():
    entry = tube_to_submission_entry((4, 7), [6, 4], [[2, 2, 4, 4], [0, 0, 2, 2]], densify=False)
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
    tube = submission_entry_to_tube({
        'st_frame': 1,
        'ed_frame': 2,
        'bbox': {
            '2': [1, 1, 2, 2],
            '1': [0, 0, 1, 1]
        }
    })
    assert tube['span'] == (0, 2)
    assert tube['frame_ids'].tolist() == [0, 1]
    np.testing.assert_array_equal(tube['bboxes'], [[0, 0, 1, 1], [1, 1, 2, 2]])


def test_well_formed_entry_has_no_problem():
    assert check_submission_entry({
        'st_frame': 3,
        'ed_frame': 3,
        'bbox': {
            '3': [0, 0, 0, 0],
            '9': [1.5, 2, 3, 4]
        }
    }) == []
    assert check_submission_entry({'st_frame': 1, 'ed_frame': 2, 'bbox': {}}) == []


@pytest.mark.parametrize('entry,problem', [
    ('x', 'the entry must be a dict, got str'),
    ({
        'ed_frame': 2,
        'bbox': {}
    }, 'missing `st_frame`'),
    ({
        'st_frame': 1,
        'bbox': {}
    }, 'missing `ed_frame`'),
    ({
        'st_frame': 1,
        'ed_frame': 2
    }, 'missing `bbox`'),
    ({
        'st_frame': 1.0,
        'ed_frame': 2,
        'bbox': {}
    }, '`st_frame` must be an integer'),
    ({
        'st_frame': 1,
        'ed_frame': '2',
        'bbox': {}
    }, '`ed_frame` must be an integer'),
    ({
        'st_frame': 0,
        'ed_frame': 2,
        'bbox': {}
    }, '`st_frame` must be >= 1 (1-based), got 0'),
    ({
        'st_frame': 5,
        'ed_frame': 4,
        'bbox': {}
    }, 'st_frame 5 > ed_frame 4'),
    ({
        'st_frame': 1,
        'ed_frame': 2,
        'bbox': [[0, 0, 1, 1]]
    }, '`bbox` must be a dict'),
    ({
        'st_frame': 1,
        'ed_frame': 2,
        'bbox': {
            '1.5': [0, 0, 1, 1]
        }
    }, "got '1.5'"),
    ({
        'st_frame': 1,
        'ed_frame': 2,
        'bbox': {
            '01': [0, 0, 1, 1]
        }
    }, "got '01'"),
    ({
        'st_frame': 1,
        'ed_frame': 2,
        'bbox': {
            '0': [0, 0, 1, 1]
        }
    }, "got '0'"),
    ({
        'st_frame': 1,
        'ed_frame': 2,
        'bbox': {
            '1': [0, 0, 1]
        }
    }, "bbox['1'] = [0, 0, 1]"),
    ({
        'st_frame': 1,
        'ed_frame': 2,
        'bbox': {
            '1': {
                'x1': 0
            }
        }
    }, '(4 numbers)'),
    ({
        'st_frame': 1,
        'ed_frame': 2,
        'bbox': {
            '1': [0, 0, '1', 1]
        }
    }, '(4 numbers)'),
    ({
        'st_frame': 1,
        'ed_frame': 2,
        'bbox': {
            '1': [0, 0, float('nan'), 1]
        }
    }, 'NaN/inf'),
    ({
        'st_frame': 1,
        'ed_frame': 2,
        'bbox': {
            '2': [0, float('-inf'), 1, 1]
        }
    }, 'NaN/inf'),
    ({
        'st_frame': 1,
        'ed_frame': 2,
        'bbox': {
            '2': [10, 10, 5, 20]
        }
    }, 'x2 < x1 or y2 < y1'),
])
def test_malformed_entry_problems(entry, problem):
    problems = check_submission_entry(entry)
    assert len(problems) == 1 and problem in problems[0], problems
    with pytest.raises(InvalidSubmissionError) as err:
        submission_entry_to_tube(entry, 'v.mp4')
    assert str(err.value).startswith("submission entry 'v.mp4': ") and problem in str(err.value)
    assert 'expected {"st_frame": int >= 1' in str(err.value)


def test_repeated_problems_are_grouped():
    bbox = {str(f): [0, 0, float('nan'), 1] for f in range(1, 11)}
    problems = check_submission_entry({'st_frame': 1, 'ed_frame': 10, 'bbox': bbox})
    assert problems == [
        "non-finite (NaN/inf) box coordinates: bbox['1'] = [0, 0, nan, 1], "
        "['2'] = [0, 0, nan, 1], ['3'] = [0, 0, nan, 1] ... (10 in all)"
    ]


def test_submission_lists_every_malformed_entry():
    good = {'st_frame': 1, 'ed_frame': 1, 'bbox': {'1': [0, 0, 1, 1]}}
    sub = {'a': good, 'b': {'st_frame': 2, 'ed_frame': 1, 'bbox': {}}, 'c': [1], 'd': good}
    tubes, errors = parse_submission(sub, 'sub.json')
    assert list(tubes) == ['a', 'd'] and list(errors) == ['b', 'c']
    with pytest.raises(InvalidSubmissionError) as err:
        submission_to_tubes(sub, 'sub.json')
    lines = str(err.value).splitlines()
    assert lines[0].startswith('sub.json: 2 of 4 entries are malformed; each entry must be')
    assert lines[1:] == [
        "  'b': st_frame 2 > ed_frame 1 (ends are inclusive)",
        "  'c': the entry must be a dict, got list [1]"
    ]
    with pytest.raises(InvalidSubmissionError, match='sub.json must hold a dict'):
        parse_submission([good], 'sub.json')


@pytest.mark.parametrize('key', [' 12', '+12', '1_2', '012', '-1', '١٢', '12 ', '1e1'])
def test_only_canonical_frame_keys(key):
    """Keys that python's int() reads but that are not the 1-based frame written as an
    integer are refused (issue 28: the keys are checked as a whole, not one by one)."""
    entry = {'st_frame': 1, 'ed_frame': 20, 'bbox': {'3': [0, 0, 1, 1], key: [0, 0, 1, 1]}}
    problems = check_submission_entry(entry)
    assert len(problems) == 1 and f'got {key!r}' in problems[0], problems


@pytest.mark.parametrize('value', [True, None, '1', [1], 2**1100])
def test_box_values_must_be_numbers(value):
    entry = {'st_frame': 1, 'ed_frame': 2, 'bbox': {'1': [0, 0, 1, 1], '2': [0, 0, value, 1]}}
    problems = check_submission_entry(entry)
    if value == 2**1100:  # a number, but too large for a float: not finite
        assert len(problems) == 1 and 'NaN/inf' in problems[0], problems
    else:
        assert len(problems) == 1 and '(4 numbers)' in problems[0], problems


def test_arrays_path_matches_the_box_by_box_path():
    """entry_arrays (C-level checks) and the box-by-box conversion agree on a valid entry,
    unsorted keys and int / float mixes included; numpy numbers take the box-by-box way."""
    from mmstvg.evaluation.functional.submission import _checked_entry_to_tube, entry_arrays
    rng = np.random.default_rng(0)
    boxes = rng.uniform(0, 100, size=(40, 4))
    boxes[:, 2:] += boxes[:, :2]
    frames = rng.permutation(np.arange(7, 47))
    bbox = {str(f + 1): [int(b[0])] + b[1:].tolist() for f, b in zip(frames.tolist(), boxes)}
    entry = {'st_frame': 8, 'ed_frame': 50, 'bbox': bbox}
    assert entry_arrays(entry) is not None
    fast, slow = submission_entry_to_tube(entry), _checked_entry_to_tube(entry)
    assert fast['span'] == slow['span'] == (7, 50)
    np.testing.assert_array_equal(fast['frame_ids'], slow['frame_ids'])
    np.testing.assert_array_equal(fast['bboxes'], slow['bboxes'])
    numpy_entry = {'st_frame': np.int64(8), 'ed_frame': 50, 'bbox': bbox}
    assert entry_arrays(numpy_entry) is None and check_submission_entry(numpy_entry) == []
    assert submission_entry_to_tube(numpy_entry)['span'] == (7, 50)
