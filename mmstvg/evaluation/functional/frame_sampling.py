"""TubeDETR's evaluation frame selection (the ``sampled`` protocol), pure numpy.

Rule (TubeDETR ``datasets/{vidstg,hcstvg}_eval.py``, defaults ``eval_fps=5``,
``video_max_len=200``), over a half-open clip ``[clip_start, clip_end)`` of original frames
with ``rate = eval_fps / video_fps``:

1. ``frame_ids = [clip_start]``; for ``f`` in ``clip_start .. clip_end - 1``, append ``f``
   whenever ``int(frame_ids[-1] * rate) < int(f * rate)``. (``clip_start`` is always kept,
   even for an empty clip.) Equivalently: keep the first frame of every bucket
   ``floor(f * rate)``, which is how it is computed here (vectorised, same float64 products
   as TubeDETR's python loop).
2. If more than ``video_max_len`` frames result, keep
   ``frame_ids[(j * n) // video_max_len]`` for ``j < video_max_len``.

``video_fps < eval_fps`` (TubeDETR asserts ``rate <= 1``): mmstvg does not fail; the rate is
capped at 1, i.e. every frame of the clip is selected (step 1 selects every frame for any
``rate >= 1`` anyway, so the cap only makes that explicit), then step 2 applies.

Which clip: TubeDETR never samples the last frame of mmstvg's clip. Its HC-STVG clip is
``[0, img_num - 1)`` (mmstvg: ``[0, num_frames)``) and its VidSTG clip is
``used_segment [begin_fid, end_fid)`` (mmstvg: ``[begin_fid, end_fid + 1)``, see
``docs/data_flow.md``). :func:`tubedetr_clip` maps an mmstvg clip to TubeDETR's.
"""
from typing import Sequence, Tuple

import numpy as np


def tubedetr_clip(clip: Sequence[int]) -> Tuple[int, int]:
    """TubeDETR's evaluation clip for an mmstvg clip: its last frame is dropped.

    Args:
        clip (Sequence[int]): mmstvg ``[start, end)`` of the query (``data_info['clip']``).

    Returns:
        tuple[int, int]: ``(start, max(start, end - 1))``.
    """
    start, end = int(clip[0]), int(clip[1])
    return start, max(start, end - 1)


def tubedetr_sample_frames(clip: Sequence[int],
                           video_fps: float,
                           eval_fps: float = 5.0,
                           video_max_len: int = 200) -> np.ndarray:
    """Original frames TubeDETR evaluates a query on (see the module docstring).

    Args:
        clip (Sequence[int]): half-open ``[start, end)`` over which frames are selected (pass
            :func:`tubedetr_clip` of the mmstvg clip to reproduce TubeDETR).
        video_fps (float): frames per second of the video (> 0).
        eval_fps (float): evaluation frame rate. Defaults to 5.
        video_max_len (int): cap on the number of frames; ``None`` or <= 0 for no cap.
            Defaults to 200.

    Returns:
        np.ndarray: (n,) int64 sorted, unique original frame indices (``n >= 1``).
    """
    if not video_fps or float(video_fps) <= 0:
        raise ValueError(f'video_fps must be > 0, got {video_fps}')
    if not eval_fps or float(eval_fps) <= 0:
        raise ValueError(f'eval_fps must be > 0, got {eval_fps}')
    start, end = int(clip[0]), int(clip[1])
    rate = min(float(eval_fps) / float(video_fps), 1.0)
    frames = np.arange(start, max(start, end), dtype=np.int64)
    if frames.size == 0:
        frame_ids = np.array([start], dtype=np.int64)
    else:
        buckets = (frames * rate).astype(np.int64)  # int() of the same float64 product
        keep = np.ones(frames.size, dtype=bool)
        keep[1:] = buckets[1:] > buckets[:-1]
        frame_ids = frames[keep]
    n = frame_ids.size
    if video_max_len is not None and 0 < int(video_max_len) < n:
        max_len = int(video_max_len)
        frame_ids = frame_ids[(np.arange(max_len, dtype=np.int64) * n) // max_len]
    return frame_ids
