"""The annotation of an STVG split, parsed and validated: the ``data_info`` contract and the
bad-input policy, without torch.

:class:`STVGAnnotation` is the part of every STVG dataset that reads its annotation file; the
datasets (:class:`~mmstvg.datasets.BaseSTVGDataset`, mmengine's ``BaseDataset`` with a
pipeline) add the run-time part. A format is one subclass (``HCSTVGAnnotation``,
``VidSTGAnnotation`` ...) that its dataset class inherits, so that the tools that read a bare
annotation file (``eval_submission.py``, registry ``ANNOTATION_FORMATS``) parse it exactly as
the dataset does without importing torch (issue 28). On its own an :class:`STVGAnnotation` is
a read-only list of ``data_info`` (``len``, ``get_data_info``), in test mode.

Every subclass converts its file format once, on load, into the ``data_info`` dicts of
``docs/data_flow.md`` (0-based original frame indices, half-open spans ``[start, end)``,
``gt_bboxes`` float32 ``(end - start, 4)`` absolute ``xyxy`` pixels of the original video).
This class then validates every query the same way:

=====================  ==================================================================
reason (``skipped``)   when
=====================  ==================================================================
``malformed``          missing keys, wrong types, empty / inverted span, span outside the
                       clip or the video, span length != number of boxes, non-finite boxes,
                       (VidSTG) a frame of the span where the target has no box
``empty_sentence``     the sentence is empty after ``strip()``
``box_outside_frame``  a GT box lies entirely outside the frame
``degenerate_box``     a GT box has ``x2 <= x1`` or ``y2 <= y1`` after clipping to the frame
``missing_video``      ``check_video_exists=True`` and the video file does not exist
``missing_box_file``   (VidSTG) the VidOR box file of the video cannot be found
``duplicate_qid``      two queries share a ``qid``
``unsafe_path``        a file name in the annotation would leave the data root: an absolute
                       path, a URL or a ``..`` segment (:mod:`mmstvg.utils.path_guard`); the
                       file is never opened
``pipeline_error``     (run time, see below) the pipeline raised for the query
=====================  ==================================================================

The whole file is rejected, whatever ``skip_invalid``, with an :class:`InvalidAnnotationError`
naming it when it is not valid JSON (line and column given; e.g. truncated) or when a JSON
object repeats a key (e.g. a video twice in an HC-STVG dict: a JSON reader would keep the last
one silently; :func:`mmstvg.utils.load_json`), and with an :class:`EmptyDatasetError`
("no valid query left in <file>") when no query is left after loading (an empty file, or
every query skipped); the latter carries ``skipped`` and ``skipped_details``.

``skip_invalid=False`` (default): the first invalid query raises
:class:`InvalidAnnotationError` (a ``ValueError``) naming the annotation file, the record
(index or key in the file) and the ``qid``. ``skip_invalid=True``: the query is skipped, its
``qid`` appended to ``self.skipped[reason]``, and one warning with the counts per reason is
logged through mmengine's ``MMLogger`` once loading ends (``mmstvg.utils.log``: mmstvg's
own logger where torch is not imported). Nothing is dropped silently.
Boxes partially outside the frame are clipped to ``[0, width] x [0, height]``; their number
is kept in ``self.num_clipped_boxes`` and logged (this is not an error).
"""
import os.path as osp
from collections import defaultdict
from itertools import chain
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.fileio import exists, join_path

from mmstvg.utils.json_io import JSONFileError, gc_paused, load_json
from mmstvg.utils.log import get_logger
from mmstvg.utils.path_guard import UnsafePathError, join_under_root

#: Reasons for rejecting a query (keys of ``BaseSTVGDataset.skipped``).
MALFORMED = 'malformed'
EMPTY_SENTENCE = 'empty_sentence'
BOX_OUTSIDE_FRAME = 'box_outside_frame'
DEGENERATE_BOX = 'degenerate_box'
MISSING_VIDEO = 'missing_video'
MISSING_BOX_FILE = 'missing_box_file'
DUPLICATE_QID = 'duplicate_qid'
UNSAFE_PATH = 'unsafe_path'
PIPELINE_ERROR = 'pipeline_error'
#: not a query's reason: the reason of :class:`EmptyDatasetError`
EMPTY_DATASET = 'empty_dataset'


class InvalidAnnotationError(ValueError):
    """An invalid query or record in an annotation file.

    Args:
        message (str): the full message (annotation file, record, qid, problem).
        reason (str): one of the reason constants of this module.
    """

    def __init__(self, message: str, reason: str = MALFORMED) -> None:
        super().__init__(message)
        self.reason = reason


class EmptyDatasetError(InvalidAnnotationError):
    """No valid query is left in an annotation file (it holds none, or every one was
    skipped as invalid). The message says ``no valid query left in <file>``.

    Args:
        message (str): the full message.
        ann_file (str): the annotation file.
        skipped (dict[str, list[str]]): skipped qids per reason (empty when the file holds
            no query).
        skipped_details (list[dict]): one dict per rejected record (``record``, ``qids``,
            ``reason``, ``message``), as ``BaseSTVGDataset.skipped_details``, so that a
            checker can still list them.
    """

    def __init__(self, message: str, ann_file: str, skipped: Dict[str, List[str]],
                 skipped_details: List[dict]) -> None:
        super().__init__(message, reason=EMPTY_DATASET)
        self.ann_file = ann_file
        self.skipped = {reason: list(qids) for reason, qids in skipped.items()}
        self.skipped_details = list(skipped_details)


class STVGPipelineError(RuntimeError):
    """The pipeline failed for a query; the message names the video file and the qid."""


class InvalidRecord(Exception):
    """Raised by the parsing helpers; turned into an error or a skip by the dataset.

    Args:
        reason (str): one of the reason constants of this module.
        message (str): what is wrong (the dataset adds the file / record / qid).
        qids (Sequence[str], optional): the queries of the record that are lost; by default
            the qid of the query being checked, or the record name.
    """

    def __init__(self, reason: str, message: str, qids: Optional[Sequence[str]] = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.qids = list(qids) if qids is not None else None


def as_int(value: Any, what: str, min_value: Optional[int] = None) -> int:
    """``value`` as an int (ints or integral floats; not bools), else :class:`InvalidRecord`.

    Args:
        value (Any): the raw value.
        what (str): its name, for the message.
        min_value (int, optional): smallest accepted value.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidRecord(MALFORMED, f'`{what}` must be an integer, got {value!r}')
    if not float(value).is_integer():
        raise InvalidRecord(MALFORMED, f'`{what}` must be an integer, got {value!r}')
    value = int(value)
    if min_value is not None and value < min_value:
        raise InvalidRecord(MALFORMED, f'`{what}` must be >= {min_value}, got {value}')
    return value


def as_float(value: Any, what: str, positive: bool = False) -> float:
    """``value`` as a finite float, else :class:`InvalidRecord`."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidRecord(MALFORMED, f'`{what}` must be a number, got {value!r}')
    value = float(value)
    if not np.isfinite(value) or (positive and value <= 0):
        kind = 'finite positive' if positive else 'finite'
        raise InvalidRecord(MALFORMED, f'`{what}` must be a {kind} number, got {value!r}')
    return value


_NUMBER_TYPES = frozenset((int, float))
_ROW_TYPES = frozenset((list, tuple))


def number_rows(rows: Any, num_cols: int) -> Optional[np.ndarray]:
    """``(N, num_cols)`` float64 array of ``rows``, a list of N lists (or tuples) of
    ``num_cols`` python ints / floats each (JSON numbers; bools are not numbers), checked
    without a Python loop over the values; None when ``rows`` is not such a list (the caller
    then looks at the rows one by one to say which is wrong).

    Args:
        rows (Any): the raw value (e.g. a record's ``bbox`` list).
        num_cols (int): values per row.
    """
    if not isinstance(rows, list):
        return None
    if not rows:
        return np.zeros((0, num_cols), dtype=np.float64)
    if not (set(map(type, rows)) <= _ROW_TYPES and set(map(len, rows)) == {num_cols}
            and set(map(type, chain.from_iterable(rows))) <= _NUMBER_TYPES):
        return None
    try:
        return np.fromiter(
            chain.from_iterable(rows), dtype=np.float64,
            count=num_cols * len(rows)).reshape(-1, num_cols)
    except (OverflowError, ValueError):  # an int too large for a float
        return None


def require(record: Any, key: str, types: Union[type, Tuple[type, ...]], where: str = '') -> Any:
    """``record[key]`` checked against ``types`` (a bool is not an int), else
    :class:`InvalidRecord`.

    Args:
        record (Any): the raw record (must be a dict).
        key (str): the key.
        types (type or tuple[type]): accepted types.
        where (str): prefix of the key in messages (e.g. ``'temporal_gt.'``).
    """
    if not isinstance(record, dict):
        raise InvalidRecord(MALFORMED, f'{where or "record "}must be a dict, got '
                            f'{type(record).__name__}')
    if key not in record:
        raise InvalidRecord(MALFORMED, f'missing key `{where}{key}`')
    value = record[key]
    types = types if isinstance(types, tuple) else (types, )
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        names = '/'.join(t.__name__ for t in types)
        raise InvalidRecord(MALFORMED, f'`{where}{key}` must be {names}, got '
                            f'{type(value).__name__}')
    return value


class STVGAnnotation:
    """The parsed and validated annotation file of an STVG split (module docstring).

    Subclasses implement :meth:`iter_records` (the raw records of the annotation file) and
    :meth:`parse_record` (one raw record -> its ``data_info`` dicts, raising
    :class:`InvalidRecord` for a malformed record); this class validates every ``data_info``
    (:meth:`check_data_info`), applies the error/skip policy and logs the counts.

    Args:
        ann_file (str): annotation file.
        data_root (str): root joined with relative ``ann_file`` / ``data_prefix`` paths.
        data_prefix (dict): ``video`` (folder of the videos), optionally ``feature`` (folder
            of precomputed features: ``feature_path`` = ``feature`` / ``<video stem>`` +
            ``feature_suffix``) and dataset-specific keys. Defaults to ``dict(video='')``.
        feature_suffix (str): file suffix of the feature files. Defaults to ``'.npy'``.
        skip_invalid (bool): skip (count, log) invalid queries instead of raising.
            Defaults to False.
        check_video_exists (bool): treat a missing video file as an invalid query.
            Defaults to False.
        test_mode (bool): evaluation mode (in the log of skipped queries). Defaults to True.
        lazy_init (bool): do not parse the file until :meth:`full_init`. Defaults to False.
    """

    METAINFO: dict = dict(dataset_name='stvg')

    def __init__(self,
                 ann_file: str = '',
                 data_root: str = '',
                 data_prefix: dict = dict(video=''),
                 feature_suffix: str = '.npy',
                 skip_invalid: bool = False,
                 check_video_exists: bool = False,
                 test_mode: bool = True,
                 lazy_init: bool = False) -> None:
        self._init_annotation(feature_suffix, skip_invalid, check_video_exists)
        self.data_root = data_root
        self.ann_file = ann_file
        self.data_prefix = dict(data_prefix)
        self.data_prefix.setdefault('video', '')
        self.test_mode = test_mode
        if data_root:  # as mmengine's BaseDataset joins them
            if self.ann_file and not osp.isabs(self.ann_file):
                self.ann_file = join_path(data_root, self.ann_file)
            for key, prefix in self.data_prefix.items():
                if isinstance(prefix, str) and not osp.isabs(prefix):
                    self.data_prefix[key] = join_path(data_root, prefix)
        self.data_list: List[dict] = []
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    def _init_annotation(self, feature_suffix: str, skip_invalid: bool,
                         check_video_exists: bool) -> None:
        """The state of the parsing (set before the file is parsed)."""
        self.feature_suffix = feature_suffix
        self.skip_invalid = skip_invalid
        self.check_video_exists = check_video_exists
        self.skipped: Dict[str, List[str]] = defaultdict(list)
        self.skipped_details: List[dict] = []
        self.num_clipped_boxes = 0
        self.num_queries_with_clipped_boxes = 0

    # ------------------------------------------------------------------ a list of data_info
    # (the datasets take these from mmengine's BaseDataset, which comes first in their MRO)
    def full_init(self) -> None:
        """Parse the annotation file (once)."""
        if not self._fully_initialized:
            self.data_list = self.load_data_list()
            self._fully_initialized = True

    def __len__(self) -> int:
        self.full_init()
        return len(self.data_list)

    def get_data_info(self, idx: int) -> dict:
        """The ``data_info`` of query ``idx`` (a copy; ``sample_idx`` added)."""
        self.full_init()
        info = dict(self.data_list[idx])
        info['extra'] = dict(info.get('extra') or {})
        info['sample_idx'] = idx if idx >= 0 else len(self.data_list) + idx
        return info

    @property
    def metainfo(self) -> dict:
        """``METAINFO`` plus ``ann_file`` and ``skipped_queries`` (qids per reason)."""
        meta = dict(self.METAINFO)
        meta.update(
            ann_file=self.ann_file, skipped_queries={
                r: list(q)
                for r, q in self.skipped.items()
            })
        return meta

    # ------------------------------------------------------------------ annotation format
    @classmethod
    def match_annotation_file(cls, text: Optional[str], content: Any) -> int:
        """How surely an annotation file is in this dataset's format, for the tools that are
        given a bare annotation file (``mmstvg.datasets.annotation_file``): 0 not (or
        unknown), 1 plausible (e.g. the JSON type), 2 and more specific (a key only this
        format has); the highest score wins.

        Args:
            text (str, optional): the file's text, without leading white space or BOM;
                None when ``content`` is given.
            content (Any): the file's parsed content, when the caller has it (else None).
        """
        return 0

    @classmethod
    def from_annotation_file(cls,
                             ann_file: str,
                             skip_invalid: bool = False,
                             **options) -> 'STVGAnnotation':
        """This annotation (or dataset) of a bare annotation file: test mode, no pipeline,
        videos not read (``get_data_info`` gives each query's ``data_info``,
        ``docs/data_flow.md``).

        Args:
            ann_file (str): the annotation file.
            skip_invalid (bool): skip and count invalid queries (``dataset.skipped``).
            **options: what else the format needs to parse the file (VidSTG: ``vidor_dir``,
                the folder of the VidOR box files); ignored by the formats that need none.
        """
        return cls(
            ann_file=ann_file,
            data_prefix=cls.annotation_file_prefix(ann_file, **options),
            test_mode=True,
            skip_invalid=skip_invalid)

    @classmethod
    def annotation_file_prefix(cls, ann_file: str, **options) -> dict:
        """``data_prefix`` of :meth:`from_annotation_file`. Defaults to ``dict(video='')``."""
        return dict(video='')

    # ------------------------------------------------------------------ subclass hooks
    def iter_records(self) -> Iterator[Tuple[str, Any]]:
        """Yield ``(record_name, raw_record)`` for every record of ``self.ann_file``.

        ``record_name`` identifies the record in error messages (a key or ``#index``).
        """
        raise NotImplementedError

    def parse_record(self, record_name: str, raw: Any) -> List[Union[dict, InvalidRecord]]:
        """Convert one raw record into its ``data_info`` dicts.

        Returns:
            list[dict | InvalidRecord]: one item per query; an :class:`InvalidRecord` item
            (with its ``qids``) stands for an invalid query of an otherwise valid record.

        Raises:
            InvalidRecord: the whole record is invalid; ``qids`` names the queries lost.
        """
        raise NotImplementedError

    # ------------------------------------------------------------------ loading
    def load_data_list(self) -> List[dict]:
        """Parse, validate and convert every query of the annotation file.

        Returns:
            list[dict]: one ``data_info`` per valid query (see ``docs/data_flow.md``).
        """
        # millions of acyclic objects are made and dropped (box files): no collections
        with gc_paused():
            return self._load_data_list()

    def _load_data_list(self) -> List[dict]:
        self.skipped = defaultdict(list)
        self.skipped_details: List[dict] = []
        self.num_clipped_boxes = 0
        self.num_queries_with_clipped_boxes = 0
        data_list: List[dict] = []
        seen_qids: Dict[str, str] = {}
        for record_name, raw in self.iter_records():
            try:
                infos = self.parse_record(record_name, raw)
            except InvalidRecord as err:
                self._reject(err, record_name, None)
                continue
            for info in infos:
                if isinstance(info, InvalidRecord):
                    self._reject(info, record_name, None)
                    continue
                qid = info.get('qid')
                try:
                    if isinstance(qid, str) and qid in seen_qids:
                        raise InvalidRecord(
                            DUPLICATE_QID, f'qid {qid!r} was already used by '
                            f'record {seen_qids[qid]}')
                    info = self.check_data_info(info)
                except InvalidRecord as err:
                    self._reject(err, record_name, qid)
                    continue
                seen_qids[info['qid']] = record_name
                data_list.append(info)
        self._log_load_summary(len(data_list))
        if not data_list:
            num_skipped = sum(len(q) for q in self.skipped.values())
            why = (f'all {num_skipped} queries were skipped as invalid '
                   f'({", ".join(f"{r}: {len(q)}" for r, q in self.skipped.items())}; the '
                   'logged warning and `EmptyDatasetError.skipped_details` list them)'
                   if num_skipped else 'the file holds no query')
            raise EmptyDatasetError(
                f'{type(self).__name__}: no valid query left in {self.ann_file}: {why}',
                self.ann_file, self.skipped, self.skipped_details)
        return data_list

    def load_annotation_json(self) -> Any:
        """The parsed ``self.ann_file``, read with :func:`mmstvg.utils.load_json`.

        Raises:
            InvalidAnnotationError: the file is not valid JSON (line and column given) or an
                object repeats a key (e.g. a video twice in a dict-layout file; the key and
                its lines given). The message names the file.
        """
        try:
            return load_json(self.ann_file)
        except JSONFileError as err:
            raise InvalidAnnotationError(f'{type(self).__name__}: {err}') from err

    def _reject(self, err: InvalidRecord, record_name: str, qid: Optional[str]) -> None:
        """Raise :class:`InvalidAnnotationError` or record the skip of ``err``'s queries."""
        qids = err.qids if err.qids is not None else [qid if qid is not None else record_name]
        where = f'record {record_name}'
        if qid is not None:
            where += f' (qid {qid})'
        elif err.qids:
            where += f' (qids {", ".join(err.qids)})'
        if not self.skip_invalid:
            raise InvalidAnnotationError(
                f'{type(self).__name__}: invalid annotation in {self.ann_file}, {where}: '
                f'{err.message} [{err.reason}] (set skip_invalid=True to skip such queries)',
                reason=err.reason)
        self.skipped[err.reason].extend(qids)
        self.skipped_details.append(
            dict(record=str(record_name), qids=list(qids), reason=err.reason, message=err.message))

    def _log_load_summary(self, num_loaded: int) -> None:
        if not self.skipped and not self.num_clipped_boxes:
            return
        logger = get_logger()
        name = type(self).__name__
        if self.skipped:
            counts = ', '.join(f'{reason}: {len(qids)}' for reason, qids in self.skipped.items())
            examples = '; '.join(f'{reason}: {qids[:3]}' for reason, qids in self.skipped.items())
            msg = (f'{name}: skipped {sum(len(q) for q in self.skipped.values())} invalid '
                   f'queries of {self.ann_file} ({counts}); examples: {examples}. '
                   f'{num_loaded} queries loaded. The full lists are in `dataset.skipped`.')
            if self.test_mode:
                msg += (' test_mode: STVGMetric reports them (num_skipped) and, by default, '
                        'scores them as failures (skipped_as_failures=True).')
            logger.warning(msg)
        if self.num_clipped_boxes:
            logger.info(f'{name}: clipped {self.num_clipped_boxes} GT boxes of '
                        f'{self.num_queries_with_clipped_boxes} queries of {self.ann_file} to '
                        'the frame (partially outside it).')

    # ------------------------------------------------------------------ validation
    def check_data_info(self, info: dict) -> dict:
        """Validate one ``data_info`` (types, sentence, span, boxes, video file).

        Boxes partially outside the frame are clipped (counted in ``num_clipped_boxes``).

        Returns:
            dict: the validated ``data_info`` (sentence stripped, boxes float32 and clipped).

        Raises:
            InvalidRecord: see the module docstring for the reasons.
        """
        for key in ('qid', 'video_name', 'filename'):
            if not isinstance(info.get(key), str) or not info[key]:
                raise InvalidRecord(
                    MALFORMED, f'`{key}` must be a non-empty string, got '
                    f'{info.get(key)!r}')
        sentence = info.get('sentence')
        if not isinstance(sentence, str):
            raise InvalidRecord(MALFORMED, f'the sentence must be a string, got {sentence!r}')
        info['sentence'] = sentence.strip()
        if not info['sentence']:
            raise InvalidRecord(EMPTY_SENTENCE, 'empty sentence')
        if self.check_video_exists and not exists(info['filename']):
            raise InvalidRecord(MISSING_VIDEO, f'video file {info["filename"]} does not exist')
        info.setdefault('sentence_type', None)
        info.setdefault('feature_path', None)
        info.setdefault('extra', {})

        num_frames = info.get('num_frames')
        width, height = info.get('width'), info.get('height')
        clip, span, boxes = info.get('clip'), info.get('gt_span'), info.get('gt_bboxes')
        if clip is not None:
            start, end = int(clip[0]), int(clip[1])
            if not 0 <= start < end or (num_frames is not None and end > num_frames):
                raise InvalidRecord(
                    MALFORMED, f'clip [{start}, {end}) is empty or outside the '
                    f'video of {num_frames} frames')
            info['clip'] = (start, end)
        if span is None and boxes is not None:
            raise InvalidRecord(MALFORMED, 'gt_bboxes without gt_span')
        if span is not None:
            start, end = int(span[0]), int(span[1])
            if not 0 <= start < end:
                raise InvalidRecord(MALFORMED, f'empty or negative GT span [{start}, {end})')
            if num_frames is not None and end > num_frames:
                raise InvalidRecord(
                    MALFORMED, f'GT span [{start}, {end}) ends after the last '
                    f'frame of the video ({num_frames} frames)')
            if clip is not None and not (info['clip'][0] <= start and end <= info['clip'][1]):
                raise InvalidRecord(
                    MALFORMED, f'GT span [{start}, {end}) is not inside the '
                    f'clip [{info["clip"][0]}, {info["clip"][1]})')
            info['gt_span'] = (start, end)
            if boxes is not None:  # None: a temporal-only annotation (e.g. load_boxes=False)
                info['gt_bboxes'] = self._check_boxes(boxes, (start, end), width, height)
        return info

    def _check_boxes(self, boxes: Any, span: Tuple[int, int], width: Optional[int],
                     height: Optional[int]) -> np.ndarray:
        """(end - start, 4) float32 xyxy boxes, clipped to the frame when its size is known."""
        num = span[1] - span[0]
        try:
            boxes = np.asarray(boxes, dtype=np.float32)
        except (TypeError, ValueError) as err:
            raise InvalidRecord(MALFORMED, f'GT boxes are not numeric: {err}') from None
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise InvalidRecord(MALFORMED, f'GT boxes must have shape (N, 4), got {boxes.shape}')
        if boxes.shape[0] != num:
            raise InvalidRecord(MALFORMED, f'{boxes.shape[0]} GT boxes for a span of {num} '
                                'frames')
        if not np.isfinite(boxes).all():
            raise InvalidRecord(MALFORMED, 'non-finite GT box coordinates')
        if width is not None and height is not None:
            outside = ((boxes[:, 0] >= width) | (boxes[:, 2] <= 0) | (boxes[:, 1] >= height)
                       | (boxes[:, 3] <= 0))
            if outside.any():
                k = int(np.flatnonzero(outside)[0])
                raise InvalidRecord(
                    BOX_OUTSIDE_FRAME, f'GT box {boxes[k].tolist()} of frame '
                    f'{span[0] + k} lies outside the {width}x{height} frame')
            clipped = boxes.copy()
            # np.minimum / np.maximum: np.clip's values without its per-call overhead
            np.minimum(np.maximum(clipped[:, 0::2], 0), width, out=clipped[:, 0::2])
            np.minimum(np.maximum(clipped[:, 1::2], 0), height, out=clipped[:, 1::2])
            num_clipped = int((clipped != boxes).any(axis=1).sum())
            boxes = clipped
        else:
            num_clipped = 0
        degenerate = (boxes[:, 2] <= boxes[:, 0]) | (boxes[:, 3] <= boxes[:, 1])
        if degenerate.any():
            k = int(np.flatnonzero(degenerate)[0])
            raise InvalidRecord(
                DEGENERATE_BOX, f'GT box {boxes[k].tolist()} of frame '
                f'{span[0] + k} is degenerate (x2 <= x1 or y2 <= y1 after '
                'clipping to the frame)')
        if num_clipped:
            self.num_clipped_boxes += num_clipped
            self.num_queries_with_clipped_boxes += 1
        return boxes

    # ------------------------------------------------------------------ helpers
    def join_under(self, prefix_key: str, relative_path: str, what: str) -> str:
        """``data_prefix[prefix_key]`` joined with a path read from the annotation file.

        Raises:
            InvalidRecord: (``unsafe_path``) the path is absolute, a URL or has a ``..``
                segment: it could leave the data root
                (:func:`mmstvg.utils.path_guard.join_under_root`).
        """
        try:
            return join_under_root(self.data_prefix.get(prefix_key, ''), relative_path, what)
        except UnsafePathError as err:
            raise InvalidRecord(UNSAFE_PATH, str(err)) from None

    def join_video_path(self, relative_path: str) -> str:
        """``data_prefix['video']`` joined with the dataset's relative video path
        (:meth:`join_under`: a path that could leave the root is refused)."""
        return self.join_under('video', relative_path, 'video name')

    def get_feature_path(self, video_name: str) -> Optional[str]:
        """``data_prefix['feature']`` / ``<video stem>`` + ``feature_suffix``, or None
        (:meth:`join_under`: a name that could leave the root is refused)."""
        if self.data_prefix.get('feature') is None:
            return None
        stem = osp.splitext(video_name)[0]
        return self.join_under('feature', stem + self.feature_suffix, 'feature file of video')

    def skipped_counts(self) -> Dict[str, int]:
        """Number of skipped queries per reason."""
        return {reason: len(qids) for reason, qids in self.skipped.items()}
