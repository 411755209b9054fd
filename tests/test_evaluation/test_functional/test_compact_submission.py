"""The compact submission form (.npz, issue 28): the same entries as the challenge JSON,
read into the same tubes, with the same problems reported the same way."""
import numpy as np
import pytest

from mmstvg.evaluation.functional import (CompactSubmission, InvalidSubmissionError,
                                          check_submission_entry, load_submission,
                                          parse_submission, save_compact_submission,
                                          submission_error_message, tube_to_submission_entry)

GOOD = {
    'a.mp4': tube_to_submission_entry((4, 9), [4, 8], [[0, 0, 2, 2], [4, 4, 8, 8]]),
    'b.mkv': {
        'st_frame': 1,
        'ed_frame': 3,
        'bbox': {
            '3': [1, 1, 2, 2],
            '1': [0.5, 0, 1, 1]
        }
    },
    'c.mp4': {
        'st_frame': 7,
        'ed_frame': 7,
        'bbox': {}
    },
}


def _save(tmp_path, submission, name='sub.npz'):
    path = str(tmp_path / name)
    save_compact_submission(path, submission)
    return path


def test_same_tubes_as_the_json_form(tmp_path):
    path = _save(tmp_path, GOOD)
    compact = load_submission(path)
    assert isinstance(compact, CompactSubmission)
    assert len(compact) == 3 and list(compact) == list(GOOD) and 'b.mkv' in compact
    assert compact['b.mkv'] == {
        'st_frame': 1,
        'ed_frame': 3,
        'bbox': {
            '3': [1.0, 1.0, 2.0, 2.0],
            '1': [0.5, 0.0, 1.0, 1.0]
        }
    }
    tubes, errors = parse_submission(compact, path, num_frames={'a.mp4': 20})
    expected, expected_errors = parse_submission(GOOD, 'x.json', num_frames={'a.mp4': 20})
    assert errors == expected_errors == {}
    assert list(tubes) == list(expected)
    for qid in tubes:
        assert tubes[qid]['span'] == expected[qid]['span']
        np.testing.assert_array_equal(tubes[qid]['frame_ids'], expected[qid]['frame_ids'])
        np.testing.assert_array_equal(tubes[qid]['bboxes'], expected[qid]['bboxes'])
    assert tubes['b.mkv']['frame_ids'].tolist() == [0, 2]  # sorted, as from JSON
    save_compact_submission(str(tmp_path / 'empty.npz'), {})
    assert parse_submission(load_submission(str(tmp_path / 'empty.npz'))) == ({}, {})


@pytest.mark.parametrize('entry', [
    {
        'st_frame': 5,
        'ed_frame': 4,
        'bbox': {
            '4': [0, 0, 1, 1]
        }
    },
    {
        'st_frame': 1,
        'ed_frame': 4,
        'bbox': {
            '2': [0, 0, float('nan'), 1]
        }
    },
    {
        'st_frame': 1,
        'ed_frame': 4,
        'bbox': {
            '2': [5, 0, 1, 1]
        }
    },
    {
        'st_frame': 1,
        'ed_frame': 4,
        'bbox': {
            '0': [0, 0, 1, 1]
        }
    },
    {
        'st_frame': 0,
        'ed_frame': 4,
        'bbox': {}
    },
])
def test_malformed_entries_are_worded_as_in_json(tmp_path, entry):
    sub = dict(GOOD, bad=entry)
    compact = load_submission(_save(tmp_path, sub))
    tubes, errors = parse_submission(compact, 'sub.npz')
    assert list(tubes) == list(GOOD)
    # the entry as the archive holds it (its numbers as floats): the JSON form's problems
    assert errors == {'bad': check_submission_entry(compact['bad'])} and errors['bad']
    assert [p.split(':')[0] for p in errors['bad']] == \
        [p.split(':')[0] for p in check_submission_entry(entry)]


def test_past_the_video_and_repeated_frames(tmp_path):
    path = _save(tmp_path, GOOD)
    tubes, errors = parse_submission(load_submission(path), path, num_frames={'a.mp4': 8})
    _, json_errors = parse_submission(GOOD, path, num_frames={'a.mp4': 8})
    assert errors == json_errors and 'beyond the last frame' in errors['a.mp4'][0]
    # a frame twice: JSON cannot hold it (a repeated key), the arrays can
    data = dict(np.load(path))
    data['frames'][1] = data['frames'][0]
    np.savez(str(tmp_path / 'twice.npz'), **data)
    _, errors = parse_submission(load_submission(str(tmp_path / 'twice.npz')))
    assert errors == {'a.mp4': ['`bbox` gives frames more than once: [5]']}
    message = submission_error_message(errors, 'twice.npz', 3)
    assert "'a.mp4': `bbox` gives frames more than once" in message


def test_broken_archives_are_refused_naming_the_file(tmp_path):
    path = _save(tmp_path, GOOD)
    data = dict(np.load(path))
    cases = {
        'no_boxes.npz': {
            k: v
            for k, v in data.items() if k != 'boxes'
        },
        'offsets.npz': dict(data, offsets=data['offsets'][::-1].copy()),
        'format.npz': dict(data, format=np.array('something-else')),
        'twice.npz': dict(data, qids=np.array(['a.mp4', 'a.mp4', 'c.mp4'])),
    }
    words = {
        'no_boxes.npz': "no array ['boxes']",
        'offsets.npz': '`offsets` must be',
        'format.npz': "format 'something-else'",
        'twice.npz': "qids given more than once: ['a.mp4']"
    }
    for name, arrays in cases.items():
        np.savez(str(tmp_path / name), **arrays)
        with pytest.raises(InvalidSubmissionError) as err:
            load_submission(str(tmp_path / name))
        assert name in str(err.value) and words[name] in str(err.value)
    (tmp_path / 'text.npz').write_text('not an archive')
    with pytest.raises(InvalidSubmissionError, match='text.npz: not a readable compact'):
        load_submission(str(tmp_path / 'text.npz'))
    with pytest.raises(FileNotFoundError):
        load_submission(str(tmp_path / 'missing.npz'))
