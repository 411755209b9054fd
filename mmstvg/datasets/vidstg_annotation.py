"""VidSTG annotations (Zhang et al., "Where Does It Exist: Spatio-Temporal Video Grounding
for Multi-Form Sentences", CVPR 2020): sentence files + VidOR box files; torch-free, the
dataset is :class:`~mmstvg.datasets.VidSTGDataset`.

Sentence file (``{train,val,test}_annotations.json``): a list of segment records
``{vid, fps, frame_count, width, height, used_segment: {begin_fid, end_fid},
temporal_gt: {begin_fid, end_fid}, subject/objects: [{tid, category}], used_relation,
captions: [{description, type, target_id}], questions: [...]}``. Each caption (declarative)
and each question (interrogative) is one query.

Box file (VidOR, ``<vid>.json`` directly under ``data_prefix['vidor_anno']`` or in VidOR's
nested layout ``<folder>/<vid>.json``, at any depth): ``video_path`` (e.g.
``0009/11566930393.mp4``, relative to ``data_prefix['video']``) and ``trajectories``, a list
over every frame of ``[{tid, bbox: {xmin, ymin, xmax, ymax}, ...}]``: absolute pixels, xyxy,
0-based frames.

Conventions (converted once, here):

- ``temporal_gt`` is END-EXCLUSIVE (its ``end_fid`` can equal ``frame_count``):
  ``gt_span = [begin_fid, end_fid)`` and the tube is exactly ``end_fid - begin_fid`` boxes of
  the ``target_id`` trajectory at those frames (the trajectory usually continues past the
  end; the tube does not). A frame of the span where the target has no box makes the query
  malformed. (STCAT-family readers read the end as inclusive and copy a box to fill the
  extra frame.)
- ``used_segment.end_fid`` behaves as an inclusive last index:
  ``clip = [begin_fid, min(end_fid + 1, frame_count))``.
- ``qid = <vid>_<used_segment.begin_fid>_<used_segment.end_fid>_<d|i><k>``: ``d`` caption,
  ``i`` question; ``k`` numbers the captions (resp. questions) of all records with the same
  ``<vid>_<begin>_<end>`` in file order, so it is the index in the record when the segment
  is unique. (The released files repeat segments: val has 570 ``(vid, used_segment)``
  pairs shared by several records, hence the running ``k``.)

Box files are read once per video: records are read in file order and a video's parsed
trajectories are dropped after its last record. With ``load_boxes=False`` no box file is
read (``gt_bboxes`` None, ``gt_span`` kept): enough for sentence / span statistics.
"""
import os.path as osp
from collections import defaultdict
from itertools import chain
from operator import itemgetter
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

import numpy as np
from mmengine.fileio import exists, join_path, list_dir_or_file

from mmstvg.registry import ANNOTATION_FORMATS
from mmstvg.utils.json_io import load_json
from .stvg_annotation import (MALFORMED, MISSING_BOX_FILE, InvalidAnnotationError, InvalidRecord,
                              STVGAnnotation, as_float, as_int, require)
from .vidor_box_cache import VidORBoxCache

#: (sentence list key, sentence_type, qid letter)
_QUERY_KINDS = (('captions', 'declarative', 'd'), ('questions', 'interrogative', 'i'))


class _VideoBoxes:
    """The parsed VidOR box file of one video.

    Args:
        path (str): the box file.
        video_path (str, optional): its ``video_path`` entry.
        boxes (dict[int, np.ndarray]): tid -> (num_frames, 4) float32 xyxy, NaN where the
            object has no box.
    """

    def __init__(self, path: str, video_path: Optional[str], boxes: Dict[int, np.ndarray]) -> None:
        self.path = path
        self.video_path = video_path
        self.boxes = boxes


@ANNOTATION_FORMATS.register_module(name='vidstg')
class VidSTGAnnotation(STVGAnnotation):
    """VidSTG annotations (see the module docstring for the conventions).

    ``data_info`` keys: see ``docs/data_flow.md``; ``video_name`` = ``vid``; ``filename`` =
    ``data_prefix['video']`` / the box file's ``video_path`` (``video_filename_tmpl`` when
    the box file is not read or has none); ``extra`` = ``target_id``, ``category``, ``type``
    (``'person'`` / ``'object'``), ``used_relation`` and ``record_index`` (in the file).

    Args:
        ann_file (str): sentence file (``{train,val,test}_annotations.json``).
        data_prefix (dict): ``video`` (VidOR video folder), ``vidor_anno`` (VidOR box file
            folder; required with ``load_boxes=True``), optionally ``feature``.
        load_boxes (bool): read the VidOR box files and return the GT tubes. False: queries
            and spans only, ``gt_bboxes`` None. Defaults to True.
        box_file_suffix (str): suffix of the box files. Defaults to ``'.json'``.
        video_filename_tmpl (str): video path relative to ``data_prefix['video']`` when the
            box file does not give one. Defaults to ``'{vid}.mp4'``.
        box_cache_dir (str | bool, optional): folder of the cache of parsed box files
            (:mod:`mmstvg.datasets.vidor_box_cache`); None: the default folder
            (``$MMSTVG_CACHE_DIR/vidor_boxes``, ``~/.cache/mmstvg/vidor_boxes``); False: no
            cache, every box file is parsed. Defaults to None.
        **kwargs: :class:`STVGAnnotation` arguments (or, for the dataset,
            :class:`~mmstvg.datasets.BaseSTVGDataset`'s).
    """

    METAINFO: dict = dict(dataset_name='vidstg')

    def __init__(self,
                 ann_file: str,
                 load_boxes: bool = True,
                 box_file_suffix: str = '.json',
                 video_filename_tmpl: str = '{vid}.mp4',
                 box_cache_dir: Union[str, bool, None] = None,
                 **kwargs) -> None:
        if not (box_cache_dir is None or box_cache_dir is False or isinstance(box_cache_dir, str)):
            raise TypeError(f'{type(self).__name__}: box_cache_dir must be a folder, None or '
                            f'False, got {box_cache_dir!r}')
        self.box_cache_dir = box_cache_dir
        self.load_boxes = load_boxes
        self.box_file_suffix = box_file_suffix
        self.video_filename_tmpl = video_filename_tmpl
        self._box_cache: Dict[str, Union[_VideoBoxes, InvalidRecord]] = {}
        self._box_file_index: Optional[Dict[str, str]] = None
        self._last_record_of_vid: Dict[str, int] = {}
        self._qid_counters: Dict[str, int] = defaultdict(int)
        super().__init__(ann_file=ann_file, **kwargs)
        # the box caches are only needed while loading
        self._box_cache, self._box_file_index = {}, None

    @classmethod
    def match_annotation_file(cls, text: Optional[str], content: Any) -> int:
        """1 for a JSON list (VidSTG's sentence files), told from the first character without
        parsing the file."""
        if content is not None:
            return int(isinstance(content, list))
        return int(text.startswith('['))

    @classmethod
    def annotation_file_prefix(cls,
                               ann_file: str,
                               vidor_dir: Optional[str] = None,
                               **options) -> dict:
        """The boxes are in the VidOR box files: ``vidor_dir`` is required."""
        if not vidor_dir:
            raise ValueError(f'{ann_file}: VidSTG annotations need the VidOR box files '
                             '(--vidor-dir)')
        return dict(video='', vidor_anno=vidor_dir)

    # ------------------------------------------------------------------ records
    def iter_records(self) -> Iterator[Tuple[str, Any]]:
        """Yield ``('#<index> (vid <vid>)', record)`` in file order."""
        if self.load_boxes and 'vidor_anno' not in self.data_prefix:
            raise ValueError(
                f"{type(self).__name__}: load_boxes=True needs data_prefix['vidor_anno'] "
                '(the VidOR box file folder); use load_boxes=False for queries '
                'only.')
        records = self.load_annotation_json()
        if not isinstance(records, list):
            raise InvalidAnnotationError(
                f'{type(self).__name__}: {self.ann_file} must hold a list of segment records, got '
                f'{type(records).__name__}')
        self._box_cache, self._qid_counters = {}, defaultdict(int)
        self._last_record_of_vid = {
            r['vid']: i
            for i, r in enumerate(records)
            if isinstance(r, dict) and isinstance(r.get('vid'), str)
        }
        for index, record in enumerate(records):
            vid = record.get('vid') if isinstance(record, dict) else None
            yield (f'#{index} (vid {vid})' if vid is not None else f'#{index}'), (index, record)

    def parse_record(self, record_name: str, raw: Tuple[int,
                                                        Any]) -> List[Union[dict, InvalidRecord]]:
        """Convert one segment record into its queries (captions, then questions)."""
        index, record = raw
        try:
            vid = require(record, 'vid', str)
            try:
                return self._parse_record(index, vid, record)
            finally:
                if self._last_record_of_vid.get(vid) == index:
                    self._box_cache.pop(vid, None)
        except InvalidRecord as err:
            if err.qids is None:  # failed before the qids were known: name the lost queries
                err.qids = [
                    f'{record_name} {key}[{k}]' for key, _, _ in _QUERY_KINDS
                    if isinstance(record, dict) and isinstance(record.get(key), list)
                    for k in range(len(record[key]))
                ] or [record_name]
            raise

    def _parse_record(self, index: int, vid: str,
                      record: dict) -> List[Union[dict, InvalidRecord]]:
        seg = require(record, 'used_segment', dict)
        seg_begin = as_int(
            require(seg, 'begin_fid', (int, float), 'used_segment.'),
            'used_segment.begin_fid',
            min_value=0)
        seg_end = as_int(
            require(seg, 'end_fid', (int, float), 'used_segment.'),
            'used_segment.end_fid',
            min_value=0)
        prefix = f'{vid}_{seg_begin}_{seg_end}'
        # assign the qids first: a skipped record must not shift the qids of the others
        queries = []
        for list_key, sentence_type, letter in _QUERY_KINDS:
            for k, query in enumerate(require(record, list_key, list)):
                counter_key = f'{prefix}_{letter}'
                qid = f'{counter_key}{self._qid_counters[counter_key]}'
                self._qid_counters[counter_key] += 1
                queries.append((qid, sentence_type, f'{list_key}[{k}]', query))
        qids = [q[0] for q in queries]
        try:
            common = self._parse_segment(vid, record, seg_begin, seg_end)
        except InvalidRecord as err:
            err.qids = qids
            raise
        video_boxes = None
        try:
            if self.load_boxes and queries:
                video_boxes = self._get_video_boxes(vid)
                if isinstance(video_boxes, InvalidRecord):
                    raise video_boxes
            filename = self.join_video_path(
                video_boxes.video_path if video_boxes is not None and video_boxes.video_path else
                self.video_filename_tmpl.format(vid=vid))
        except InvalidRecord as err:
            raise InvalidRecord(err.reason, err.message, qids) from None
        categories = common.pop('categories')
        infos: List[Union[dict, InvalidRecord]] = []
        for qid, sentence_type, where, query in queries:
            try:
                infos.append(
                    self._parse_query(qid, sentence_type, where, query, common, categories,
                                      video_boxes, filename, index))
            except InvalidRecord as err:
                err.qids = [qid]
                infos.append(err)
        return infos

    def _parse_segment(self, vid: str, record: dict, seg_begin: int, seg_end: int) -> dict:
        """The fields shared by the queries of a record."""
        num_frames = as_int(
            require(record, 'frame_count', (int, float)), 'frame_count', min_value=1)
        width = as_int(require(record, 'width', (int, float)), 'width', min_value=1)
        height = as_int(require(record, 'height', (int, float)), 'height', min_value=1)
        fps = as_float(require(record, 'fps', (int, float)), 'fps', positive=True)
        gt = require(record, 'temporal_gt', dict)
        gt_begin = as_int(
            require(gt, 'begin_fid', (int, float), 'temporal_gt.'),
            'temporal_gt.begin_fid',
            min_value=0)
        gt_end = as_int(
            require(gt, 'end_fid', (int, float), 'temporal_gt.'),
            'temporal_gt.end_fid',
            min_value=0)
        if seg_end < seg_begin:
            raise InvalidRecord(MALFORMED, f'used_segment [{seg_begin}, {seg_end}] is inverted')
        if not gt_begin < gt_end <= num_frames:
            raise InvalidRecord(
                MALFORMED, f'temporal_gt [{gt_begin}, {gt_end}) is empty or ends '
                f'after the video ({num_frames} frames)')
        objects = require(record, 'subject/objects', list)
        categories = {}
        for obj in objects:
            tid = as_int(require(obj, 'tid', (int, float), 'subject/objects[].'), 'tid')
            categories[tid] = obj.get('category')
        return dict(
            video_name=vid,
            num_frames=num_frames,
            fps=fps,
            height=height,
            width=width,
            clip=(seg_begin, min(seg_end + 1, num_frames)),
            gt_span=(gt_begin, gt_end),
            used_relation=record.get('used_relation'),
            categories=categories)

    def _parse_query(self, qid: str, sentence_type: str, where: str, query: Any, common: dict,
                     categories: Dict[int, Any], video_boxes: Optional[_VideoBoxes], filename: str,
                     index: int) -> dict:
        sentence = require(query, 'description', str, f'{where}.')
        target_id = as_int(
            require(query, 'target_id', (int, float), f'{where}.'), f'{where}.target_id')
        if target_id not in categories:
            raise InvalidRecord(
                MALFORMED, f'{where}.target_id {target_id} is not in '
                f'subject/objects (tids {sorted(categories)})')
        gt_bboxes = None
        if video_boxes is not None:
            gt_bboxes = self._target_tube(video_boxes, target_id, common['gt_span'])
        info = dict(common)
        used_relation = info.pop('used_relation')
        info.update(
            qid=qid,
            filename=filename,
            feature_path=self.get_feature_path(common['video_name']),
            sentence=sentence,
            sentence_type=sentence_type,
            gt_bboxes=gt_bboxes,
            extra=dict(
                target_id=target_id,
                category=categories[target_id],
                type=query.get('type'),
                used_relation=used_relation,
                record_index=index))
        return info

    # ------------------------------------------------------------------ box files
    @staticmethod
    def _target_tube(video_boxes: _VideoBoxes, target_id: int, span: Tuple[int,
                                                                           int]) -> np.ndarray:
        """(end - begin, 4) boxes of ``target_id`` at frames ``[begin, end)``."""
        begin, end = span
        if end <= begin:
            raise InvalidRecord(MALFORMED, f'empty temporal_gt [{begin}, {end})')
        track = video_boxes.boxes.get(target_id)
        if track is None:
            raise InvalidRecord(
                MALFORMED, f'target tid {target_id} has no box at all in '
                f'{video_boxes.path}')
        tube = np.full((end - begin, 4), np.nan, dtype=np.float32)
        avail = track[begin:end]
        tube[:len(avail)] = avail
        missing = np.flatnonzero(np.isnan(tube).any(axis=1))
        if missing.size:
            frames = (missing + begin).tolist()
            raise InvalidRecord(
                MALFORMED, f'target tid {target_id} has no box in {len(frames)} frame(s) of the '
                f'GT span [{begin}, {end}) (e.g. {frames[:5]}; {video_boxes.path} has '
                f'{len(track)} frames)')
        return tube

    def _box_file(self, vid: str) -> Optional[str]:
        """Path of ``<vid>.json``: directly under ``vidor_anno`` or at any depth below it.

        Raises:
            InvalidRecord: (``unsafe_path``) ``vid`` could leave the folder.
        """
        root = self.data_prefix['vidor_anno']
        name = vid + self.box_file_suffix
        flat = self.join_under('vidor_anno', name, 'VidOR box file of video')
        if exists(flat):
            return flat
        if self._box_file_index is None:
            self._box_file_index = {}
            if root and exists(root):
                for rel in list_dir_or_file(
                        root, list_dir=False, suffix=self.box_file_suffix, recursive=True):
                    stem = osp.basename(rel)[:-len(self.box_file_suffix)]
                    self._box_file_index.setdefault(stem, join_path(root, rel))
        return self._box_file_index.get(vid)

    def _get_video_boxes(self, vid: str) -> Union[_VideoBoxes, InvalidRecord]:
        """The parsed box file of ``vid`` (cached until the video's last record)."""
        if vid not in self._box_cache:
            self._box_cache[vid] = self._read_video_boxes(vid)
        return self._box_cache[vid]

    def _read_video_boxes(self, vid: str) -> Union[_VideoBoxes, InvalidRecord]:
        try:
            path = self._box_file(vid)
        except InvalidRecord as err:
            return err
        if path is None:
            root = self.data_prefix['vidor_anno']
            return InvalidRecord(
                MISSING_BOX_FILE, f'VidOR box file of video {vid} not found: neither '
                f'{join_path(root, vid + self.box_file_suffix) if root else vid} nor '
                f'<folder>/{vid}{self.box_file_suffix} below {root!r}')
        disk_cache = None if self.box_cache_dir is False else VidORBoxCache(self.box_cache_dir)
        cached = disk_cache.load(path) if disk_cache is not None else None
        if cached is not None:
            return _VideoBoxes(path, *cached)
        try:
            data = load_json(path)
            trajectories = require(data, 'trajectories', list)
            video_path = data.get('video_path')
            if video_path is not None and not isinstance(video_path, str):
                raise InvalidRecord(MALFORMED, '`video_path` must be a string')
            boxes = _trajectory_tracks(trajectories)
            if disk_cache is not None:
                disk_cache.store(path, video_path, boxes, len(trajectories))
        except InvalidRecord as err:
            return InvalidRecord(err.reason, f'VidOR box file {path}: {err.message}')
        except (KeyError, TypeError) as err:
            return InvalidRecord(
                MALFORMED, f'VidOR box file {path}: a trajectory entry lacks '
                f'`tid`/`bbox`/`xmin`... or is not a dict ({err!r})')
        except (OSError, ValueError) as err:
            return InvalidRecord(MALFORMED, f'VidOR box file {path} cannot be read: {err}')
        return _VideoBoxes(path, video_path, boxes)


_TID_BBOX = itemgetter('tid', 'bbox')
_XYXY = itemgetter('xmin', 'ymin', 'xmax', 'ymax')
_NUMBER_TYPES = frozenset((int, float))


def _trajectory_tracks(trajectories: list) -> Dict[int, np.ndarray]:
    """tid -> (num_frames, 4) float32 xyxy track (NaN where the object has no box) of a VidOR
    ``trajectories`` list (one list of ``{tid, bbox: {xmin, ymin, xmax, ymax}}`` per frame).

    The boxes are gathered by C-level ``map`` / ``itemgetter`` and checked as whole arrays
    (no Python loop per box, issue 28).

    Raises:
        KeyError / TypeError: an entry is not a dict or lacks a key.
        InvalidRecord: a tid or coordinate is not a number.
    """
    num_frames = len(trajectories)
    if not set(map(type, trajectories)) <= {list}:
        raise TypeError('a frame of `trajectories` is not a list')
    objects = list(chain.from_iterable(trajectories))
    if not objects:
        return {}
    tids, bboxes = zip(*map(_TID_BBOX, objects))
    values = list(chain.from_iterable(map(_XYXY, bboxes)))
    if not (set(map(type, tids)) <= _NUMBER_TYPES and set(map(type, values)) <= _NUMBER_TYPES):
        raise InvalidRecord(MALFORMED, 'non-numeric tid or bbox coordinate')
    frames = np.repeat(
        np.arange(num_frames), np.fromiter(map(len, trajectories), np.int64, count=num_frames))
    uniq, inverse = np.unique(np.array(tids, dtype=np.float64), return_inverse=True)
    tracks = np.full((uniq.size, num_frames, 4), np.nan, dtype=np.float32)
    tracks[inverse.reshape(-1), frames] = np.array(values, dtype=np.float64).reshape(-1, 4)
    return {int(tid): track for tid, track in zip(uniq.tolist(), tracks)}
