"""Strict JSON reading for annotation and submission files.

Python's ``json`` keeps the last value of a key repeated in one object and drops the others
without a word, so a dict-layout annotation file (HC-STVG, the synthetic benchmark) or a
submission that names a video twice would silently lose a query. A truncated file raises a
``JSONDecodeError`` that does not name the file. :func:`load_json` reads the text through
mmengine's file backends (:func:`mmengine.fileio.get_text`, so ``backend_args`` and remote
paths work as with ``mmengine.load``) and parses it with an ``object_pairs_hook`` that
records repeated keys; both problems become a :class:`JSONFileError` naming the file (and the
key and its lines, or the line and column where parsing stopped). ``mmengine.load`` cannot
do this: its JSON handler passes no keyword argument to ``json.load``. So does a file nested
deeper than Python's parser can go (it recurses once per level of objects and lists, up to
about ``sys.getrecursionlimit()`` levels), which would otherwise be a ``RecursionError``
naming nothing.

Every reader of annotation and submission files in mmstvg goes through :func:`load_json`.

Speed (issue 28): the file is first parsed by the fastest parser at hand (``orjson`` when it
is installed, else ``json``'s C parser), without the per-object hook, and with the garbage
collector paused (the parsed objects hold no cycles; collections triggered by millions of new
dicts and lists would otherwise cost more than the parse). Repeated keys are then told by a
count: outside strings, a JSON text has one ``:`` per object member, and a repeated key loses
members (its earlier values) from the parsed objects, so the file and the parsed objects
written back agree on the number of ``:`` exactly when no key repeats. When they do not
agree, when the text escapes a colon (``\\u003a``) or when the fast parser refuses the text
(invalid JSON, ``NaN`` ...), the file is parsed again the careful way above, which gives the
data or the exact error (so both ways return the same value and raise the same errors).
"""
import gc
import json
import re
import sys
from contextlib import contextmanager
from typing import Any, Iterator, List, Optional, Tuple

from mmengine.fileio import get_text

#: at most this many duplicated keys are spelled out in a message
_MAX_LISTED = 10
# a JSON string (skipped whole: brackets inside it do not nest) or a bracket
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


class JSONFileError(ValueError):
    """A JSON file that cannot be parsed, or whose objects repeat a key.

    Args:
        message (str): the full message (it names the file).
        filename (str): the file.
        duplicate_keys (list[str], optional): the repeated keys, in file order.
        lineno (int, optional): line where parsing stopped (1-based).
        colno (int, optional): column where parsing stopped (1-based).
    """

    def __init__(self,
                 message: str,
                 filename: str,
                 duplicate_keys: Optional[List[str]] = None,
                 lineno: Optional[int] = None,
                 colno: Optional[int] = None) -> None:
        super().__init__(message)
        self.filename = filename
        self.duplicate_keys = list(duplicate_keys or [])
        self.lineno = lineno
        self.colno = colno


def _key_positions(text: str, key: str) -> List[int]:
    """Offsets in ``text`` where ``key`` appears as an object key (best effort)."""
    found = set()
    for ensure_ascii in (False, True):
        pattern = re.escape(json.dumps(key, ensure_ascii=ensure_ascii)) + r'\s*:'
        found.update(match.start() for match in re.finditer(pattern, text))
    return sorted(found)


def _duplicate_message(filename: str, text: str, duplicates: List[str]) -> str:
    distinct = list(dict.fromkeys(duplicates))
    parts = []
    # the hook sees inner objects first: list the keys in file order
    found = sorted(((_key_positions(text, key), key) for key in distinct[:_MAX_LISTED]),
                   key=lambda item: item[0][:1])
    for positions, key in found:
        lines = sorted({text.count('\n', 0, pos) + 1 for pos in positions})
        shown = ', '.join(map(
            str, lines[:5])) + (f' ... ({len(lines)} lines in all)' if len(lines) > 5 else '')
        where = f' (line{"s" if len(lines) > 1 else ""} {shown})' if lines else ''
        parts.append(f'{key!r}{where}')
    if len(distinct) > _MAX_LISTED:
        parts.append(f'... and {len(distinct) - _MAX_LISTED} more')
    return (f'{filename}: duplicate key(s) in a JSON object: '
            f'{"; ".join(parts)}. A JSON reader keeps only the last value of a repeated key '
            'and drops the others silently; every key must appear once per object (e.g. '
            'each video or query once).')


def _decode_message(filename: str, text: str, err: json.JSONDecodeError) -> str:
    msg = (f'{filename}: invalid JSON at line {err.lineno}, column {err.colno}: '
           f'{err.msg}')
    stripped = text.strip()
    if not stripped:
        msg += ' (the file is empty)'
    elif err.pos >= len(text.rstrip()) or (stripped[0] in '{[' and stripped[-1] not in '}]'):
        msg += ' (the file is truncated: it ends before its last object or list is closed)'
    return msg


def _line_col(text: str, pos: int) -> Tuple[int, int]:
    """1-based line and column of offset ``pos`` in ``text``."""
    return text.count('\n', 0, pos) + 1, pos - text.rfind('\n', 0, pos)


def _deepest_point(text: str) -> Tuple[int, int]:
    """The deepest nesting of objects and lists in ``text`` and the offset of the bracket
    that reaches it (strings are skipped; a malformed text gives a rough answer)."""
    depth = deepest = where = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        char = match.group()
        if char in '[{':
            depth += 1
            if depth > deepest:
                deepest, where = depth, match.start()
        elif char in ']}':
            depth -= 1
    return deepest, where


def _too_deep_message(filename: str, text: str) -> Tuple[str, int, int]:
    deepest, where = _deepest_point(text)
    lineno, colno = _line_col(text, where)
    return (f'{filename}: JSON nested too deeply: objects and lists are nested {deepest} '
            f'levels deep (the deepest at line {lineno}, column {colno}), more than Python\'s '
            'JSON parser can read (it recurses once per level, up to about '
            f'{sys.getrecursionlimit()} levels). Annotation and submission files nest a few '
            'levels: the file is corrupt or not one of them.'), lineno, colno


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector paused inside the block (restored after): for code that
    builds millions of acyclic objects at once (parsing JSON, gathering boxes)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson comes with gradio (requirements/optional.txt)
    _orjson = None

_FAST_ERRORS = (ValueError, TypeError, OverflowError, RecursionError)


def _fast_loads(text: str) -> Any:
    return _orjson.loads(text) if _orjson is not None else json.loads(text)


def _colons(value: Any) -> int:
    """The ``:`` of ``value`` written as JSON."""
    if _orjson is not None:
        return _orjson.dumps(value).count(b':')
    return json.dumps(value).count(':')


def _members(value: Any) -> int:
    """The number of ``:`` in ``value`` written as JSON (one per object member, plus those in
    strings), counted one top-level item at a time (no second copy of a large file)."""
    if isinstance(value, dict):
        return len(value) + sum(key.count(':')
                                for key in value) + sum(map(_colons, value.values()))
    if isinstance(value, list):
        return sum(map(_colons, value))
    return _colons(value)


_NOT_PARSED = object()


def _parse_fast(text: str) -> Any:
    """The parsed ``text`` when the fast way can vouch for it (module docstring), else
    ``_NOT_PARSED``."""
    if '\\u003a' in text or '\\u003A' in text:
        return _NOT_PARSED
    colons = text.count(':')
    try:
        data = _fast_loads(text)
        same = _members(data) == colons
    except _FAST_ERRORS:
        return _NOT_PARSED
    return data if same else _NOT_PARSED


def load_json(filename: str, backend_args: Optional[dict] = None) -> Any:
    """Parse a JSON file, refusing repeated keys; errors name the file.

    Args:
        filename (str): path or URI of the file (any mmengine file backend).
        backend_args (dict, optional): arguments of the file backend, as for
            ``mmengine.load``. Defaults to None.

    Returns:
        Any: the parsed JSON value (objects as ``dict`` in file order).

    Raises:
        JSONFileError: the file is not valid UTF-8 JSON (the message gives the line and
            column, and says when the file is empty or truncated), or an object repeats a
            key (the message names every repeated key and the lines where it appears), or
            it is nested too deeply for Python's parser (the message gives the depth and
            where it is reached).
        FileNotFoundError: the file does not exist (raised by the backend).
    """
    filename = str(filename)
    try:
        text = get_text(filename, backend_args=backend_args)
    except UnicodeDecodeError as err:
        raise JSONFileError(f'{filename}: not a UTF-8 text file ({err})', filename) from None
    with gc_paused():
        data = _parse_fast(text)
        if data is _NOT_PARSED:
            data = _parse_strict(filename, text)
    return data


def _parse_strict(filename: str, text: str) -> Any:
    """``text`` parsed with the duplicate-key hook; errors name ``filename``."""
    duplicates: List[str] = []

    def pairs_to_dict(pairs: list) -> dict:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen = set()
            for key, _ in pairs:
                if key in seen:
                    duplicates.append(key)
                seen.add(key)
        return obj

    try:
        data = json.loads(text, object_pairs_hook=pairs_to_dict)
    except json.JSONDecodeError as err:
        raise JSONFileError(
            _decode_message(filename, text, err), filename, lineno=err.lineno,
            colno=err.colno) from None
    except RecursionError:
        msg, lineno, colno = _too_deep_message(filename, text)
        raise JSONFileError(msg, filename, lineno=lineno, colno=colno) from None
    if duplicates:
        raise JSONFileError(
            _duplicate_message(filename, text, duplicates), filename, duplicate_keys=duplicates)
    return data
