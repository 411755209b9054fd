"""Scan a dataset — annotations and the media they point to — and list every bad record.

Used by ``tools/data/check_dataset.py``. Two levels:

1. annotations: the dataset is built with ``skip_invalid=True``; every query its validation
   rejects (malformed record, empty sentence, box outside the frame, span beyond the video,
   duplicate qid ..., see :mod:`mmstvg.datasets.base_stvg_dataset`) is reported with its
   record, reason and message;
2. media, for every valid query: the video is opened and decoded with PyAV (the decoder of
   the training pipelines) — ``missing_video``, ``corrupt_video`` (cannot be opened or
   decoded), ``truncated_video`` (fewer decodable frames than the annotation's clip needs;
   HC-STVG has such videos) — or its precomputed feature file is opened (``missing_features``,
   ``corrupt_features``, ``short_features``). Each file is checked once, however many
   queries share it.

Nothing is repaired or replaced: the report is for the user to fix the data (or to train
with ``skip_invalid=True``, which skips and counts the same records).
"""
import os.path as osp
from typing import Callable, Dict, Iterable, List, Optional, Tuple

import numpy as np


def probe_video(path: str) -> Tuple[Optional[int], str]:
    """Decode every frame of ``path``; returns (number of decodable frames, error)."""
    import av
    try:
        with av.open(path) as container:
            if not container.streams.video:
                return None, 'no video stream'
            count = 0
            for _ in container.decode(video=0):
                count += 1
            return count, ''
    except Exception as e:  # PyAV raises many types for bad files
        return None, f'{type(e).__name__}: {e}'


def probe_features(path: str, h5_key: str = 'features',
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


def check_dataset(dataset, check_media: bool = True, feature_stride: int = 1,
                  progress: Optional[Callable[[Iterable], Iterable]] = None) -> Dict:
    """Report the bad records of a built ``BaseSTVGDataset`` (``skip_invalid=True``).

    Args:
        dataset: the dataset (its ``skipped_details`` hold the annotation problems).
        check_media (bool): also open every video / feature file. Defaults to True.
        feature_stride (int): frames per feature row (``LoadSTVGFeatures.frame_stride``).
        progress (callable, optional): wraps the iteration over queries (a progress bar).

    Returns:
        dict: ``ann_file``, ``num_queries`` (valid annotations), ``num_ok``, ``problems``
        (list of dicts: ``qid`` / ``record``, ``file``, ``reason``, ``message``) and
        ``counts`` per reason.
    """
    problems: List[dict] = [
        dict(qid=d['qids'][0] if len(d['qids']) == 1 else d['qids'], record=d['record'],
             file=dataset.ann_file, reason=d['reason'], message=d['message'])
        for d in getattr(dataset, 'skipped_details', [])]
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    bad_qids = set()
    if check_media:
        cache: Dict[str, Tuple[Optional[int], str]] = {}
        for info in (progress(infos) if progress else infos):
            need = _needed_frames(info)
            if info.get('feature_path'):
                path, kind = info['feature_path'], 'features'
                if path not in cache:
                    cache[path] = (None, 'missing') if not osp.isfile(path) else \
                        probe_features(path, video_name=info.get('video_name', ''))
                need = (need - 1) // feature_stride + 1
            else:
                path, kind = info['filename'], 'video'
                if path not in cache:
                    cache[path] = (None, 'missing') if not osp.isfile(path) else \
                        probe_video(path)
            count, err = cache[path]
            reason = message = None
            if err == 'missing':
                reason, message = f'missing_{kind}', f'{kind} file does not exist'
            elif err:
                reason, message = f'corrupt_{kind}', err
            elif count < need:
                reason = 'truncated_video' if kind == 'video' else 'short_features'
                unit = 'decodable frames' if kind == 'video' else 'rows'
                message = (f'{count} {unit}, the annotation needs {need} (clip '
                           f'{info.get("clip")}, GT span {info.get("gt_span")})')
            if reason:
                bad_qids.add(info['qid'])
                problems.append(dict(qid=info['qid'], file=path, reason=reason,
                                     message=message))
    counts: Dict[str, int] = {}
    for p in problems:
        counts[p['reason']] = counts.get(p['reason'], 0) + 1
    return dict(ann_file=dataset.ann_file, num_queries=len(infos),
                num_ok=len(infos) - len(bad_qids), problems=problems, counts=counts)
