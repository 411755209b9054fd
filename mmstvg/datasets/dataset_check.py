"""Scan a dataset — annotations and the media they point to — and list every bad record.

Used by ``tools/data/check_dataset.py``. Two levels:

1. annotations: the dataset is built with ``skip_invalid=True``; every query its validation
   rejects (malformed record, empty sentence, box outside the frame, span beyond the video,
   duplicate qid ..., see :mod:`mmstvg.datasets.stvg_annotation`) is reported with its
   record, reason and message; a split left without any valid query is ``empty_dataset``
   (the dataset raises :class:`~mmstvg.datasets.stvg_annotation.EmptyDatasetError`, whose
   skipped records are listed too: :func:`empty_dataset_report`);
2. media, for every valid query: the video is decoded to the end with PyAV
   (:func:`mmstvg.utils.video_io.probe_video`) and compared with the annotation by the same
   function and tolerance as the decode transforms of the pipeline
   (:func:`mmstvg.utils.video_io.check_video_against_annotation`,
   :func:`~mmstvg.utils.video_io.check_frame_coverage`; ``out_of_range`` / ``max_clamp`` /
   ``fps_rtol`` read from the pipeline's decoder by :func:`decode_policy`):
   ``missing_video``, ``corrupt_video`` (cannot be opened or decoded), ``truncated_video``
   (fewer decodable frames than the annotation needs, beyond the frames the decoders clamp),
   ``frame_count_mismatch`` (more frames than annotated, beyond that tolerance),
   ``fps_mismatch``, ``size_mismatch``; or its precomputed feature file is opened
   (``missing_features``, ``corrupt_features``, ``short_features``). Each file is read once,
   however many queries share it.

A video that passes is never refused by the pipeline: the gate applies the decoders' checks
to what the decoders see (the container's header count and rate, the frame size) and adds
what only decoding to the end shows (a video too short for a query's clip, whichever frames a
sampler draws; for a container that records no frame count, the decoded count against the
annotation). A video 1-2 frames short, which the decoders clamp, passes. Nothing is repaired
or replaced: the report is for the user to fix the data (or to train with
``skip_invalid=True``, which skips and counts the same records).
"""
import os.path as osp
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from mmstvg.datasets.base_stvg_dataset import EMPTY_DATASET
from mmstvg.utils.video_io import (DEFAULT_MAX_CLAMP, FPS_RTOL, VideoInfo, check_frame_coverage,
                                   check_video_against_annotation, probe_video)

#: Decoders whose policy :func:`decode_policy` reads.
DECODERS = ('STVGPyAVDecode', 'STVGDecordDecode')


def decode_policy(pipeline: Optional[Sequence] = None) -> dict:
    """The tolerance of the pipeline's decoder: ``out_of_range``, ``max_clamp``,
    ``fps_rtol``, ``check_annotation`` (the decoder's own defaults where the config leaves
    them; the package defaults when the pipeline does not decode videos)."""
    policy = dict(
        out_of_range='clamp',
        max_clamp=DEFAULT_MAX_CLAMP,
        fps_rtol=FPS_RTOL,
        check_annotation=True)
    for t in pipeline or []:
        if isinstance(t, dict) and str(t.get('type', '')).split('.')[-1] in DECODERS:
            from mmstvg.registry import TRANSFORMS
            decoder = TRANSFORMS.build(dict(t))
            for key in policy:
                policy[key] = getattr(decoder, key, policy[key])
            break
    return policy


def _probe(path: str) -> Tuple[Optional[VideoInfo], str]:
    """Decode every frame of ``path``: (VideoInfo, '') or (None, error)."""
    try:
        return probe_video(path, decode=True), ''
    except Exception as e:  # PyAV raises many types for bad files
        return None, f'{type(e).__name__}: {e}'


def probe_features(path: str,
                   h5_key: str = 'features',
                   video_name: str = '') -> Tuple[Optional[int], str]:
    """Open a feature file (.npy / .h5); returns (number of rows, error)."""
    try:
        if path.endswith('.npy'):
            return int(np.load(path, mmap_mode='r').shape[0]), ''
        import h5py
        with h5py.File(path, 'r') as f:
            return int(f[h5_key.format(video_name=video_name)].shape[0]), ''
    except Exception as e:
        return None, f'{type(e).__name__}: {e}'


def _needed_frames(info: dict) -> int:
    ends = [int(info['clip'][1])] if info.get('clip') is not None else []
    if info.get('gt_span') is not None:
        ends.append(int(info['gt_span'][1]))
    if not ends and info.get('num_frames'):
        ends.append(int(info['num_frames']))
    return max(ends) if ends else 1


def _video_problems(info: dict, video: VideoInfo, policy: dict) -> List[Tuple[str, str]]:
    """``(reason, message)`` of a decodable video against its query (see module doc)."""
    problems: List[Tuple[str, str]] = []
    if policy['check_annotation']:
        ann = {k: info.get(k) for k in ('num_frames', 'fps', 'height', 'width')}
        size = dict(height=video.height, width=video.width)
        args = (policy['out_of_range'], policy['max_clamp'], policy['fps_rtol'])
        # what the decode transforms see (the container's header); a container that does
        # not record its frame count (mkv, webm) is compared by its decoded count instead
        header = dict(video.container or {})
        views = [dict(header, **size)]
        if not header.get('num_frames'):
            views.append(dict(num_frames=video.num_frames))
        for view in views:
            for reason, message in check_video_against_annotation(view, ann, *args):
                if reason not in [r for r, _ in problems]:
                    problems.append((reason, message))
    need = _needed_frames(info)
    short = check_frame_coverage(need, video.num_frames, policy['out_of_range'],
                                 policy['max_clamp'])
    if short is not None and 'truncated_video' not in [r for r, _ in problems]:
        problems.append(('truncated_video', f'{video.num_frames} decodable frames, the '
                         f'annotation needs {need} (clip {info.get("clip")}, GT span '
                         f'{info.get("gt_span")}): {short}'))
    return problems


def check_dataset(dataset,
                  check_media: bool = True,
                  feature_stride: int = 1,
                  progress: Optional[Callable[[Iterable], Iterable]] = None,
                  policy: Optional[dict] = None) -> Dict:
    """Report the bad records of a built ``BaseSTVGDataset`` (``skip_invalid=True``).

    Args:
        dataset: the dataset (its ``skipped_details`` hold the annotation problems).
        check_media (bool): also open every video / feature file. Defaults to True.
        feature_stride (int): frames per feature row (``LoadSTVGFeatures.frame_stride``).
        progress (callable, optional): wraps the iteration over queries (a progress bar).
        policy (dict, optional): the decoder's tolerance, :func:`decode_policy` of the
            split's pipeline. Defaults to the decoders' defaults.

    Returns:
        dict: ``ann_file``, ``num_queries`` (valid annotations), ``num_ok``, ``problems``
        (list of dicts: ``qid`` / ``record``, ``file``, ``reason``, ``message``) and
        ``counts`` per reason.
    """
    policy = dict(decode_policy(), **(policy or {}))
    problems = skipped_problems(getattr(dataset, 'skipped_details', []), dataset.ann_file)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    if not infos:
        problems.append(
            dict(
                qid=None,
                file=dataset.ann_file,
                reason=EMPTY_DATASET,
                message=f'no valid query left in {dataset.ann_file}'))
    bad_qids = set()
    if check_media:
        cache: Dict[str, tuple] = {}
        for info in (progress(infos) if progress else infos):
            found: List[Tuple[str, str]] = []
            if info.get('feature_path'):
                path = info['feature_path']
                if path not in cache:
                    cache[path] = (None, 'missing') if not osp.isfile(path) else \
                        probe_features(path, video_name=info.get('video_name', ''))
                rows, err = cache[path]
                need = (_needed_frames(info) - 1) // feature_stride + 1
                if err == 'missing':
                    found.append(('missing_features', 'features file does not exist'))
                elif err:
                    found.append(('corrupt_features', err))
                elif rows < need:
                    found.append(('short_features', f'{rows} rows, the annotation needs '
                                  f'{need} (clip {info.get("clip")}, GT span '
                                  f'{info.get("gt_span")})'))
            else:
                path = info['filename']
                if path not in cache:
                    cache[path] = (None, 'missing') if not osp.isfile(path) else _probe(path)
                video, err = cache[path]
                if err == 'missing':
                    found.append(('missing_video', 'video file does not exist'))
                elif err:
                    found.append(('corrupt_video', err))
                else:
                    found.extend(_video_problems(info, video, policy))
            for reason, message in found:
                bad_qids.add(info['qid'])
                problems.append(dict(qid=info['qid'], file=path, reason=reason, message=message))
    return _report(dataset.ann_file, problems, len(infos), len(infos) - len(bad_qids), policy)


def skipped_problems(skipped_details: Sequence[dict], ann_file: str) -> List[dict]:
    """Problems (``qid``, ``record``, ``file``, ``reason``, ``message``) of the records a
    dataset rejected (``BaseSTVGDataset.skipped_details``)."""
    return [
        dict(
            qid=d['qids'][0] if len(d['qids']) == 1 else d['qids'],
            record=d['record'],
            file=ann_file,
            reason=d['reason'],
            message=d['message']) for d in skipped_details
    ]


def empty_dataset_report(err, policy: Optional[dict] = None) -> Dict:
    """The report of a split whose dataset raised ``EmptyDatasetError``: every record it
    skipped, and ``empty_dataset`` with the error's message."""
    problems = skipped_problems(err.skipped_details, err.ann_file)
    problems.append(dict(qid=None, file=err.ann_file, reason=EMPTY_DATASET, message=str(err)))
    return _report(err.ann_file, problems, 0, 0, policy)


def _report(ann_file: str, problems: List[dict], num_queries: int, num_ok: int,
            policy: Optional[dict]) -> Dict:
    counts: Dict[str, int] = {}
    for p in problems:
        counts[p['reason']] = counts.get(p['reason'], 0) + 1
    return dict(
        ann_file=ann_file,
        num_queries=num_queries,
        num_ok=num_ok,
        problems=problems,
        counts=counts,
        policy=policy)
