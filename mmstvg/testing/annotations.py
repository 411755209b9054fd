"""Annotation files for tests (written next to the generated test videos, no fixture files).

The record builders give a valid record of each format with small defaults; keyword
arguments replace fields, and a field set to None is left out (to test a missing key).
Formats: ``docs/DATA_FORMATS`` / :mod:`mmstvg.datasets`.
"""
import json
import os
import os.path as osp
from typing import Any, Union

PathType = Union[str, os.PathLike]


def dump_json(path: PathType, content: Any, **kwargs) -> str:
    """Write ``content`` as JSON to ``path`` (its folder is created); kwargs go to
    :func:`json.dump` (e.g. ``indent``).

    Returns:
        str: ``path``.
    """
    path = str(path)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(content, f, **kwargs)
    return path


def _record(defaults: dict, changes: dict) -> dict:
    rec = dict(defaults, **changes)
    return {k: v for k, v in rec.items() if v is not None}


def hcstvg_v1_record(**changes) -> dict:
    """An HC-STVG v1 record: xywh ``bbox`` per GT frame from 1-based ``st_frame``,
    ``img_num`` frames of ``width`` x ``height``, a ``caption``.

    Defaults: two boxes from frame 5 of a 100-frame 640x360 video.
    """
    return _record(
        dict(
            bbox=[[10, 20, 30, 40], [12, 22, 30, 40]],
            st_frame=5,
            img_num=100,
            caption='The woman turns.',
            width=640,
            height=360), changes)
