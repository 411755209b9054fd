"""The base of the STVG datasets: mmengine's ``BaseDataset`` over an
:class:`~mmstvg.datasets.stvg_annotation.STVGAnnotation` (the ``data_info`` contract and the
bad-input policy of loading, documented there), plus the run-time part.

At run time :meth:`prepare_data` re-raises any exception of the pipeline (missing, truncated
or corrupt video while decoding, missing feature file ...) as :class:`STVGPipelineError`
naming the video file and the ``qid``. With ``skip_invalid=True`` and ``test_mode=False`` the
failure is logged and counted instead, and ``None`` is returned, so that mmengine's
``BaseDataset.__getitem__`` draws another index. In ``test_mode`` it always raises: an
evaluation must never drop a query. (Run-time counts live in the process that ran the
pipeline, i.e. in each DataLoader worker; the warnings are the record.)

Random augmentations in DataLoader workers are reseeded per training epoch from (seed,
epoch, rank, worker) by :class:`~mmstvg.engine.hooks.EpochSeedHook` through
:meth:`BaseSTVGDataset.set_epoch_seed`, persistent workers included, so that a resumed run
draws the same augmentations as an uninterrupted one.
"""
import pickle
from typing import Any, Callable, Sequence, Tuple, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import MMLogger

from mmstvg.utils.seeding import EpochSeed
from .stvg_annotation import (BOX_OUTSIDE_FRAME, DEGENERATE_BOX, DUPLICATE_QID, EMPTY_DATASET,
                              EMPTY_SENTENCE, MALFORMED, MISSING_BOX_FILE, MISSING_VIDEO,
                              PIPELINE_ERROR, UNSAFE_PATH, EmptyDatasetError,
                              InvalidAnnotationError, InvalidRecord, STVGAnnotation,
                              STVGPipelineError, as_float, as_int, require)

# the names of the annotation module are imported from here by datasets and tests
__all__ = [
    'BOX_OUTSIDE_FRAME', 'DEGENERATE_BOX', 'DUPLICATE_QID', 'EMPTY_DATASET', 'EMPTY_SENTENCE',
    'MALFORMED', 'MISSING_BOX_FILE', 'MISSING_VIDEO', 'PIPELINE_ERROR', 'UNSAFE_PATH',
    'BaseSTVGDataset', 'EmptyDatasetError', 'InvalidAnnotationError', 'InvalidRecord',
    'STVGAnnotation', 'STVGPipelineError', 'as_float', 'as_int', 'require'
]


class BaseSTVGDataset(BaseDataset, STVGAnnotation):
    """Base of the STVG datasets: a :class:`STVGAnnotation` (see
    :mod:`mmstvg.datasets.stvg_annotation` for the bad-input policy) with mmengine's
    ``BaseDataset`` (pipeline, serialisation, subsets) and the run-time policy of the module
    docstring.

    Subclasses implement :meth:`iter_records` and :meth:`parse_record` (or inherit them from
    a format's annotation class: ``class VidSTGDataset(VidSTGAnnotation, BaseSTVGDataset)``).

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
        pipeline (list): transforms; ``[]`` returns the ``data_info`` dicts.
        test_mode (bool): evaluation mode (pipeline failures always raise).
        **kwargs: other ``mmengine.dataset.BaseDataset`` arguments.
    """

    METAINFO: dict = dict(dataset_name='stvg')

    def __init__(self,
                 ann_file: str = '',
                 data_root: str = '',
                 data_prefix: dict = dict(video=''),
                 feature_suffix: str = '.npy',
                 skip_invalid: bool = False,
                 check_video_exists: bool = False,
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 test_mode: bool = False,
                 **kwargs) -> None:
        self._init_annotation(feature_suffix, skip_invalid, check_video_exists)
        self.epoch_seed = EpochSeed()
        data_prefix = dict(data_prefix)
        data_prefix.setdefault('video', '')
        BaseDataset.__init__(
            self,
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=data_prefix,
            pipeline=list(pipeline),
            test_mode=test_mode,
            **kwargs)

    def load_data_list(self):
        """:meth:`STVGAnnotation.load_data_list` (not mmengine's reader of its own format)."""
        return STVGAnnotation.load_data_list(self)

    def _serialize_data(self) -> Tuple[np.ndarray, np.ndarray]:
        """mmengine's serialisation of ``data_list`` (one pickle per query in one ``uint8``
        array, which DataLoader workers share with the main process without copying), done
        one query at a time: each ``data_info`` is released once pickled and each pickle
        once copied into the array, so that the peak memory is about one copy of the data
        instead of three (the list, the pickles and their concatenation; issue 28).

        Returns:
            tuple[np.ndarray, np.ndarray]: the bytes and the end address of each query.
        """
        pickles = []
        sizes = np.empty(len(self.data_list), dtype=np.int64)
        for i, info in enumerate(self.data_list):
            pickles.append(pickle.dumps(info, protocol=4))
            sizes[i] = len(pickles[-1])
            self.data_list[i] = None
        self.data_list.clear()
        address = np.cumsum(sizes)
        data = np.empty(int(address[-1]) if len(address) else 0, dtype=np.uint8)
        for i, end in enumerate(address.tolist()):
            data[end - sizes[i]:end] = np.frombuffer(pickles[i], dtype=np.uint8)
            pickles[i] = None
        return data, address

    @property
    def metainfo(self) -> dict:
        """mmengine's metainfo plus ``ann_file`` and ``skipped_queries`` (qids per reason):
        the evaluator reads them to report and count the queries skipped on load."""
        meta = super().metainfo
        meta.update(
            ann_file=self.ann_file, skipped_queries={
                r: list(q)
                for r, q in self.skipped.items()
            })
        return meta

    # ------------------------------------------------------------------ run time
    def set_epoch_seed(self, seed: int) -> None:
        """Seed of the coming training epoch for the DataLoader workers (EpochSeedHook)."""
        self.epoch_seed.set(seed)

    def __getitem__(self, idx: int) -> Any:
        self.epoch_seed.apply_in_worker()
        return super().__getitem__(idx)

    def prepare_data(self, idx: int) -> Any:
        """Run the pipeline on query ``idx``; failures name the video file and the qid.

        Returns:
            Any: the pipeline output, or None (training with ``skip_invalid=True`` only) when
            the pipeline raised, so that ``BaseDataset.__getitem__`` draws another index.

        Raises:
            STVGPipelineError: the pipeline raised (always in ``test_mode``).
        """
        data_info = self.get_data_info(idx)
        qid, filename = data_info.get('qid'), data_info.get('filename')
        try:
            return self.pipeline(data_info)
        except Exception as exc:  # noqa: BLE001  (re-raised or counted and logged)
            msg = (f'{type(self).__name__}: the pipeline failed for query {qid!r} (video '
                   f'{filename}')
            if data_info.get('feature_path'):
                msg += f', features {data_info["feature_path"]}'
            msg += f'; annotation file {self.ann_file}): {type(exc).__name__}: {exc}'
            if self.skip_invalid and not self.test_mode:
                self.skipped[PIPELINE_ERROR].append(qid)
                MMLogger.get_current_instance().warning(
                    f'{msg} -- skipped (skip_invalid=True; {len(self.skipped[PIPELINE_ERROR])} '
                    'pipeline failures so far in this process); another sample is drawn.')
                return None
            raise STVGPipelineError(msg) from exc
