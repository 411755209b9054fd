"""mmstvg.utils.load_json: the one JSON reader of annotation and submission files."""
import json
from pathlib import Path

import pytest

from mmstvg.utils import JSONFileError, load_json


def _write(path, text: str) -> str:
    Path(path).write_text(text)
    return str(path)


def test_reads_like_json(tmp_path):
    content = {'b.mp4': {'bbox': [[1, 2, 3, 4]], 'st_frame': 1}, 'a.mp4': [1.5, None, True]}
    path = _write(tmp_path / 'x.json', json.dumps(content))
    out = load_json(path)
    assert out == content and list(out) == ['b.mp4', 'a.mp4']  # file order kept
    assert load_json(Path(path)) == content
    assert load_json(path, backend_args=dict(backend='local')) == content
    assert load_json(_write(tmp_path / 'l.json', '[1, {"a": 2}]')) == [1, {'a': 2}]


def test_duplicate_top_level_key(tmp_path):
    path = _write(tmp_path / 'ann.json',
                  '{\n"a.mp4": {"st_frame": 1},\n"b.mp4": {},\n"a.mp4": {"st_frame": 2}\n}')
    with pytest.raises(JSONFileError) as err:
        load_json(path)
    assert isinstance(err.value, ValueError)
    assert str(err.value).startswith(f'{path}: duplicate key(s) in a JSON object: '
                                     "'a.mp4' (lines 2, 4).")
    assert err.value.filename == path and err.value.duplicate_keys == ['a.mp4']


def test_duplicate_nested_keys_all_reported(tmp_path):
    # a frame key twice in a submission entry, and a qid three times
    path = _write(tmp_path / 'sub.json',
                  '{"q": {"bbox": {"3": [0, 0, 1, 1], "3": [0, 0, 2, 2]}},\n'
                  ' "q": {}, "q": {}}')
    with pytest.raises(JSONFileError) as err:
        load_json(path)
    assert sorted(err.value.duplicate_keys) == ['3', 'q', 'q']
    assert "'q' (lines 1, 2); '3' (line 1)" in str(err.value)


@pytest.mark.parametrize('text,line,col,hint', [
    ('{"a.mp4": {"bbox": [[1, 2', 1, 26, 'truncated'),
    ('{"a": 1,\n "b": [1, 2,\n', 3, 1, 'truncated'),
    ('{"a.mp4": {"st_frame": 1}', 1, 26, 'truncated'),
    ('', 1, 1, 'the file is empty'),
    ('{"a": 1,, "b": 2}', 1, 9, ''),
])
def test_invalid_json_names_file_line_and_column(tmp_path, text, line, col, hint):
    path = _write(tmp_path / 'bad.json', text)
    with pytest.raises(JSONFileError) as err:
        load_json(path)
    msg = str(err.value)
    assert msg.startswith(f'{path}: invalid JSON at line {line}, column {col}: ')
    assert (err.value.lineno, err.value.colno) == (line, col)
    assert hint in msg
    if not hint:
        assert 'truncated' not in msg and 'empty' not in msg


def test_not_utf8(tmp_path):
    path = tmp_path / 'bin.json'
    path.write_bytes(b'\xff\xfe{')
    with pytest.raises(JSONFileError, match=f'{path}: not a UTF-8 text file'):
        load_json(str(path))


def test_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_json(str(tmp_path / 'nope.json'))


def test_too_deeply_nested_names_the_file(tmp_path):
    # Python's parser recurses once per level: a RecursionError naming nothing before
    depth = 100000
    path = _write(tmp_path / 'deep_sub.json', '{"q.mp4":\n ' + '[' * depth + ']' * depth + '}')
    with pytest.raises(JSONFileError) as err:
        load_json(path)
    msg = str(err.value)
    assert msg.startswith(f'{path}: JSON nested too deeply: objects and lists are nested '
                          f'{depth + 1} levels deep (the deepest at line 2, column '
                          f'{depth + 1}), more than Python\'s JSON parser can read')
    assert (err.value.filename, err.value.lineno, err.value.colno) == (path, 2, depth + 1)
    # brackets inside strings do not nest; a file nested a few dozen levels is read
    text = '{"[[[{{": ' + '{"k": ' * 50 + '"]]]"' + '}' * 50 + '}'
    assert load_json(_write(tmp_path / 'ok.json', text))['[[[{{']['k']['k']


@pytest.fixture(params=['orjson', 'json'])
def fast_parser(request, monkeypatch):
    """load_json's fast parse with orjson (when installed) and with json's C parser."""
    from mmstvg.utils import json_io
    if request.param == 'json':
        monkeypatch.setattr(json_io, '_orjson', None)
    elif json_io._orjson is None:
        pytest.skip('orjson is not installed')
    return request.param


@pytest.mark.parametrize('text', [
    '{"a.mp4": {"bbox": [[1, 2, 3, 4]], "st_frame": 1, "c": "x: y"}, "b:c": [1.5, null]}',
    '[{"a": {"b": {"c": [1, {"d": 2}]}}}, 3, "::"]',
    '{"q": {"st_frame": 1, "bbox": {"1": [0.1, 0.2, 0.30000000000000004, 1e-7]}}}',
    '{"nan": NaN, "big": 123456789012345678901234567890, "inf": -Infinity}',
    '{"escaped \\u003a colon": 1, "surrogate": "\\ud800"}',
    '"just a string"',
])
def test_fast_parse_gives_what_the_careful_parse_gives(tmp_path, fast_parser, text):
    """Issue 28: the fast way (orjson / json without the hook, colons counted) returns the
    same value as the careful way, or leaves the file to it (NaN, big ints, escapes)."""
    from mmstvg.utils import json_io
    path = _write(tmp_path / 'x.json', text)
    expected = json_io._parse_strict(path, text)
    out = load_json(path)
    assert json.dumps(out) == json.dumps(expected)


@pytest.mark.parametrize('text,keys', [
    ('{"q": {"st_frame": 1, "bbox": {"3": [0, 0, 1, 1], "3": [0, 0, 2, 2]}}}', ['3']),
    ('[{"a": 1}, {"b": {"c": 1, "c": 1}}]', ['c']),
    ('{"a:b": 1, "a:b": 2}', ['a:b']),
    ('{"x": {"k": "v:w", "k": "v:w"}}', ['k']),
])
def test_fast_parse_still_refuses_repeated_keys(tmp_path, fast_parser, text, keys):
    """A repeated key anywhere, whatever colons its strings hold, is told by the count and
    reported by the careful parse, as before."""
    path = _write(tmp_path / 'dup.json', text)
    with pytest.raises(JSONFileError) as err:
        load_json(path)
    assert err.value.duplicate_keys == keys


def test_load_json_leaves_the_garbage_collector_as_it_was(tmp_path):
    import gc
    path = _write(tmp_path / 'x.json', '{"a": [1, 2]}')
    assert gc.isenabled()
    load_json(path)
    assert gc.isenabled()
    gc.disable()
    try:
        load_json(path)
        assert not gc.isenabled()
    finally:
        gc.enable()
