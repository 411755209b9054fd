"""HC-STVG v1 / v2 annotations (Tang et al., "Human-centric Spatio-Temporal Video Grounding
With Visual Transformers", TCSVT 2021), one query per video; torch-free, the dataset is
:class:`~mmstvg.datasets.HCSTVGDataset`.

File layouts (a dict keyed by the video file name, e.g. ``"55_vfjywN5CN0Y.mp4"``):

- v1 (``train.json`` / ``test.json``): ``bbox`` (list of ``[x, y, w, h]`` pixels, one per
  consecutive frame), ``st_frame`` (1-based index of the first boxed frame), ``img_num``
  (frames in the video), ``caption``, ``width``, ``height``; the end is implicit.
- v2 (``train_v2.json`` / ``val_v2.json``): ``English`` instead of ``caption``, ``img_size`` =
  ``[H, W, C]`` instead of ``width``/``height``, and an explicit INCLUSIVE 1-based ``ed_frame``
  with ``len(bbox) == ed_frame - st_frame + 1`` (checked; a mismatch is a malformed record).
- v2 test split (``query_v2.json``): ``{video_name: sentence}``, no ground truth.

Conversion (once, here): 0-based start ``s = st_frame - 1``; ``gt_span = [s, s + len(bbox))``
(half-open); boxes ``xywh -> xyxy`` (``x2 = x + w``, ``y2 = y + h``); ``fps = img_num /
video_duration`` (every HC-STVG video lasts 20 s) unless the record states its ``fps``;
``clip = [0, img_num)``.
(TubeDETR reads ``st_frame`` as 0-based, one frame later; STCAT and its successors use
``st_frame - 1``, as here. ``st_frame_base=0`` reads it as TubeDETR does, to reproduce its
numbers: ``gt_span = [st_frame, st_frame + len(bbox))``, its end cut at ``img_num`` with the
boxes beyond dropped.)

On the query-only test split nothing but the sentence is known at load time: ``gt_span``,
``gt_bboxes``, ``num_frames``, ``fps``, ``height``, ``width`` and ``clip`` are None; the
pipeline must take them from the decoded video (``total_frames`` of mmaction2's
``PyAVInit`` / ``DecordInit``; ``fps = total_frames / video_duration``).

Other raw fields (``st_time``, ``ed_time``, v2's ``Chinese`` ...) are kept in ``extra``.
"""
from typing import Any, Iterator, List, Optional, Tuple

import numpy as np

from mmstvg.registry import ANNOTATION_FORMATS
from .stvg_annotation import (MALFORMED, InvalidAnnotationError, InvalidRecord, STVGAnnotation,
                              as_float, as_int, number_rows, require)

#: raw keys consumed by the conversion (the others go to ``extra``).
_V1_KEYS = ('bbox', 'st_frame', 'img_num', 'caption', 'width', 'height')
_V2_KEYS = ('bbox', 'st_frame', 'ed_frame', 'img_num', 'English', 'img_size')


@ANNOTATION_FORMATS.register_module(name='hcstvg')
class HCSTVGAnnotation(STVGAnnotation):
    """HC-STVG v1 / v2 / v2-test (``query_v2.json``) annotations.

    ``data_info`` keys: see ``docs/data_flow.md``; ``qid`` = ``video_name`` = the video file
    name (key of the annotation dict), ``filename`` = ``data_prefix['video']`` / name,
    ``sentence_type`` = None, ``extra`` = the raw fields not converted plus
    ``layout`` (``'v1'``, ``'v2'`` or ``'query'``).

    Args:
        ann_file (str): ``train.json`` / ``test.json`` (v1), ``train_v2.json`` /
            ``val_v2.json`` (v2) or ``query_v2.json`` (v2 test, no GT).
        version (str): ``'auto'`` (from the first record: a string value is the query-only
            layout, ``English``/``img_size``/``ed_frame`` is v2, otherwise v1), ``'v1'`` or
            ``'v2'`` (which accepts the query-only layout too). Every record must follow the
            chosen layout. Defaults to ``'auto'``.
        video_duration (float): seconds per video (``fps = img_num / video_duration``).
            Defaults to 20.0 (all HC-STVG videos).
        st_frame_base (int): index of the first frame in ``st_frame``: 1 (the annotation's
            1-based index, default) or 0 (TubeDETR's reading, one frame later; see the
            module docstring).
        **kwargs: :class:`STVGAnnotation` arguments (``data_prefix=dict(video=...,
            feature=...)``, ``skip_invalid``, ``check_video_exists`` ...), or those of
            :class:`~mmstvg.datasets.BaseSTVGDataset` for the dataset (``pipeline`` ...).
    """

    METAINFO: dict = dict(dataset_name='hcstvg')
    VERSIONS = ('auto', 'v1', 'v2')

    def __init__(self,
                 ann_file: str,
                 version: str = 'auto',
                 video_duration: float = 20.0,
                 st_frame_base: int = 1,
                 **kwargs) -> None:
        if version not in self.VERSIONS:
            raise ValueError(f'{type(self).__name__}: version must be one of '
                             f'{self.VERSIONS}, got {version!r}')
        if video_duration <= 0:
            raise ValueError(
                f'{type(self).__name__}: video_duration must be > 0, got {video_duration}')
        if st_frame_base not in (0, 1):
            raise ValueError(f'{type(self).__name__}: st_frame_base must be 0 or 1, got '
                             f'{st_frame_base!r}')
        self.version = version
        self.video_duration = float(video_duration)
        self.st_frame_base = int(st_frame_base)
        self.layout: Optional[str] = None  # 'v1' | 'v2' | 'query', set on load
        super().__init__(ann_file=ann_file, **kwargs)

    @classmethod
    def match_annotation_file(cls, text: Optional[str], content: Any) -> int:
        """1 for a JSON object (HC-STVG files are keyed by video), told from the first
        character without parsing the file."""
        if content is not None:
            return int(isinstance(content, dict))
        return int(text.startswith('{'))

    # ------------------------------------------------------------------ records
    def iter_records(self) -> Iterator[Tuple[str, Any]]:
        """Yield ``(video_name, raw)`` for every entry of the annotation dict."""
        annotations = self.load_annotation_json()
        if not isinstance(annotations, dict):
            raise InvalidAnnotationError(
                f'{type(self).__name__}: {self.ann_file} must hold a dict keyed by video '
                'name, got '
                f'{type(annotations).__name__}')
        self.layout = self._detect_layout(annotations)
        yield from annotations.items()

    def _detect_layout(self, annotations: dict) -> str:
        first = next(iter(annotations.values()), None)
        if isinstance(first, str):
            layout = 'query'
        elif self.version != 'auto':
            layout = self.version
        elif isinstance(first, dict) and any(
                k in first for k in ('English', 'img_size', 'ed_frame')):
            layout = 'v2'
        else:
            layout = 'v1'
        if layout == 'query' and self.version == 'v1':
            raise InvalidAnnotationError(
                f'{type(self).__name__}: {self.ann_file} is a query-only file ({{video: '
                "sentence}, the v2 test split) but version='v1' was requested")
        return layout

    def parse_record(self, record_name: str, raw: Any) -> List[dict]:
        """Convert one video's annotation (see the module docstring).

        Returns:
            list[dict]: one ``data_info``.
        """
        name = record_name
        info = dict(
            qid=name,
            video_name=name,
            filename=self.join_video_path(name),
            feature_path=self.get_feature_path(name),
            sentence_type=None,
        )
        if self.layout == 'query':
            if not isinstance(raw, str):
                raise InvalidRecord(
                    MALFORMED, 'a query-only file maps a video name to its '
                    f'sentence; got {type(raw).__name__}')
            info.update(
                sentence=raw,
                num_frames=None,
                fps=None,
                height=None,
                width=None,
                clip=None,
                gt_span=None,
                gt_bboxes=None,
                extra=dict(layout='query'))
            return [info]

        if not isinstance(raw, dict):
            raise InvalidRecord(
                MALFORMED, f'the record must be a dict ({self.layout} layout), '
                f'got {type(raw).__name__}')
        bbox = require(raw, 'bbox', list)
        st_frame = as_int(require(raw, 'st_frame', (int, float)), 'st_frame', min_value=1)
        img_num = as_int(require(raw, 'img_num', (int, float)), 'img_num', min_value=1)
        if self.layout == 'v1':
            sentence = require(raw, 'caption', str)
            width = as_int(require(raw, 'width', (int, float)), 'width', min_value=1)
            height = as_int(require(raw, 'height', (int, float)), 'height', min_value=1)
            consumed = _V1_KEYS
        else:
            sentence = require(raw, 'English', str)
            img_size = require(raw, 'img_size', list)
            if len(img_size) < 2:
                raise InvalidRecord(MALFORMED, f'`img_size` must be [H, W, C], got {img_size}')
            height = as_int(img_size[0], 'img_size[0] (H)', min_value=1)
            width = as_int(img_size[1], 'img_size[1] (W)', min_value=1)
            ed_frame = as_int(require(raw, 'ed_frame', (int, float)), 'ed_frame', min_value=1)
            if len(bbox) != ed_frame - st_frame + 1:
                raise InvalidRecord(
                    MALFORMED, f'{len(bbox)} boxes but st_frame={st_frame}, '
                    f'ed_frame={ed_frame} (inclusive) span '
                    f'{ed_frame - st_frame + 1} frames')
            consumed = _V2_KEYS
        if not bbox:
            raise InvalidRecord(MALFORMED, 'empty `bbox` list')
        start = st_frame - self.st_frame_base
        boxes = self._xywh_to_xyxy(bbox)
        if start + len(boxes) > img_num and self.st_frame_base == 0:
            boxes = boxes[:max(0, img_num - start)]  # TubeDETR's reading runs past the end
            if not len(boxes):
                raise InvalidRecord(
                    MALFORMED, f'st_frame={st_frame} read as 0-based starts '
                    f'after the last frame ({img_num} frames)')
        info.update(
            sentence=sentence,
            num_frames=img_num,
            # HC-STVG's own records have no `fps` (every video lasts `video_duration` s);
            # a record that states its frame rate (the synthetic benchmark's) is believed.
            fps=(as_float(raw['fps'], 'fps', positive=True) if 'fps' in raw else img_num /
                 self.video_duration),
            height=height,
            width=width,
            clip=(0, img_num),
            gt_span=(start, start + len(boxes)),
            gt_bboxes=boxes,
            extra=dict(layout=self.layout, **{
                k: v
                for k, v in raw.items() if k not in consumed
            }))
        return [info]

    @staticmethod
    def _xywh_to_xyxy(bbox: list) -> np.ndarray:
        """``[[x, y, w, h], ...]`` -> (N, 4) float64 ``[[x1, y1, x2, y2], ...]`` (validated by
        the base), converted as one array; a malformed box is named by its index."""
        boxes = number_rows(bbox, 4)
        if boxes is None:
            for k, box in enumerate(bbox):
                if (not isinstance(box, (list, tuple)) or len(box) != 4 or not all(
                        isinstance(v, (int, float)) and not isinstance(v, bool) for v in box)):
                    raise InvalidRecord(MALFORMED, f'bbox[{k}] must be [x, y, w, h] numbers, got '
                                        f'{box!r}')
            boxes = np.array([[float(v) for v in box] for box in bbox], dtype=np.float64)
        boxes[:, 2:] += boxes[:, :2]
        return boxes
