"""Frame sampling for multimodal LLMs: a time grid at a target rate, with presentation times.

Qwen2-VL / Qwen2.5-VL / Qwen3-VL read a video as frames at some rate (qwen-vl-utils'
``FPS = 2``) grouped in pairs (the vision encoder's temporal patch), and their time encoding
needs to know when each frame was shown: Qwen2.5-VL spaces its temporal rotary positions by
``second_per_grid_t`` (the processor computes it from the video metadata's ``sampled_fps``),
Qwen3-VL writes ``<t seconds>`` before each pair (from the metadata's ``fps`` and
``frames_indices``). Without the metadata transformers assumes 24 fps and the model's time
axis silently disagrees with the video. This transform keeps what the model needs for that:

- the clip ``[s, e)`` (``results['clip']``, as ``SampleSTVGFrames``) lasts
  ``D = T(e) - T(s)`` seconds, ``T`` the presentation time of a frame (below);
- ``n = ceil(D * fps)`` frames (at least ``min_frames``, at most ``max_frames`` and the
  clip's length), rounded down to a multiple of ``frame_factor`` (the temporal patch, 2) when
  that leaves at least one group (a clip shorter than a group keeps its frames; the processor
  repeats the last one, as transformers' video processors do);
- the grid ``tau_k = T(s) + (k + 0.5) * D / n``, one time per segment of ``D / n`` seconds
  (its rate ``n / D`` is ``sample_rate``), and for each the frame shown at that time (the
  last frame with ``T(f) <= tau_k``);
- ``frame_times``: the real presentation times of the chosen frames, from the time origin
  (``time_origin='clip'``: the clip's first frame, so a VidSTG clip starts at 0 s like an
  HC-STVG video; ``'video'``: the video's first frame).

Presentation times ``T(f)``: ``results['frame_timestamps']`` when the dataset gives them (the
presentation time of every frame of the video, e.g. :attr:`mmstvg.utils.video_io.VideoInfo.
timestamps`, followed optionally by the video's duration); with ``probe_timestamps=True``
they are read from the file's packets (:func:`mmstvg.utils.video_io.probe_video`, nothing
decoded); otherwise ``f / fps`` (a constant frame rate, the datasets' ``fps``).

Seconds map back to original frames through these pairs
(:mod:`mmstvg.structures.time_grid`), which the answer parsers use.
"""
import math
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform

from mmstvg.registry import TRANSFORMS


def presentation_times(results: dict, probe: bool = False) -> np.ndarray:
    """``T(f)`` for ``f = 0 .. num_frames`` (the last entry: the end of the last frame).

    Args:
        results (dict): the pipeline's results (``frame_timestamps``, ``num_frames``,
            ``fps``, ``filename``).
        probe (bool): read the times from the video file when the results have none.

    Returns:
        np.ndarray: (num_frames + 1,) float64 seconds from the video's first frame,
        increasing.
    """
    num = results.get('num_frames') or results.get('total_frames')
    fps = results.get('fps') or results.get('avg_fps')
    stamps = results.get('frame_timestamps')
    if stamps is None and probe:
        from mmstvg.utils.video_io import probe_video
        info = probe_video(results['filename'])
        stamps = np.append(info.timestamps, info.duration)
        num = num or info.num_frames
        fps = fps or info.fps
    if stamps is not None:
        stamps = np.asarray(stamps, dtype=np.float64).reshape(-1)
        num = int(num or stamps.shape[0])
        if stamps.shape[0] < num:
            raise ValueError(f'query {results.get("qid")!r}: {stamps.shape[0]} presentation '
                             f'times for a video of {num} frames')
        if stamps.shape[0] == num:  # no duration given: the last frame lasts the median step
            step = float(np.median(np.diff(stamps))) if num > 1 else 1.0 / float(fps or 1.0)
            stamps = np.append(stamps, stamps[-1] + step)
        return stamps[:num + 1] - stamps[0]
    if not num or not fps:
        raise KeyError(f'query {results.get("qid")!r}: presentation times need '
                       '`frame_timestamps`, or `num_frames` and `fps`')
    return np.arange(int(num) + 1, dtype=np.float64) / float(fps)


@TRANSFORMS.register_module()
class SampleMLLMFrames(BaseTransform):
    """Sample a query's clip on a time grid for a multimodal LLM (module docstring).

    Required Keys:

    - clip (tuple[int, int], optional): ``[start, end)``; defaults to ``[0, num_frames)``.
    - num_frames (int), fps (float): the video's frame count and nominal rate.
    - frame_timestamps (array-like, optional): presentation times of the video's frames.
    - filename (str, optional): read with ``probe_timestamps=True``.

    Added Keys:

    - frame_inds (np.ndarray): (N,) int64 sorted original frame indices (no repeats).
    - frame_times (np.ndarray): (N,) float64 presentation times (s) from the time origin.
    - time_origin (float): the origin's time in the video (s).
    - sample_rate (float): frames per second of the grid (``N / D``).
    - num_passes (1), clip_len (N), frame_interval (None), num_clips (1): as
      ``SampleSTVGFrames``, for the decoders.

    Args:
        fps (float): target rate (frames per second of video time). Defaults to 2
            (qwen-vl-utils' default).
        max_frames (int, optional): cap on the frames (the rate drops for long clips).
            Defaults to None.
        min_frames (int): floor on the frames (bounded by the clip's length). Defaults to
            ``frame_factor``.
        frame_factor (int): the frame count is a multiple of this (the vision encoder's
            temporal patch). Defaults to 2.
        time_origin (str): ``'clip'`` or ``'video'`` (module docstring). Defaults to 'clip'.
        probe_timestamps (bool): read presentation times from the file when the results
            have none. Defaults to False.
    """

    def __init__(self,
                 fps: float = 2.0,
                 max_frames: Optional[int] = None,
                 min_frames: Optional[int] = None,
                 frame_factor: int = 2,
                 time_origin: str = 'clip',
                 probe_timestamps: bool = False) -> None:
        if not fps > 0:
            raise ValueError(f'fps must be > 0, got {fps}')
        if int(frame_factor) < 1:
            raise ValueError(f'frame_factor must be >= 1, got {frame_factor}')
        if time_origin not in ('clip', 'video'):
            raise ValueError(f"time_origin must be 'clip' or 'video', got {time_origin!r}")
        self.fps = float(fps)
        self.frame_factor = int(frame_factor)
        self.max_frames = None if max_frames is None else int(max_frames)
        self.min_frames = self.frame_factor if min_frames is None else int(min_frames)
        if self.max_frames is not None and self.max_frames < self.frame_factor:
            raise ValueError(f'max_frames ({max_frames}) < frame_factor ({frame_factor})')
        self.time_origin = time_origin
        self.probe_timestamps = probe_timestamps

    def num_samples(self, duration: float, length: int) -> int:
        """Frames drawn from a clip of ``length`` frames lasting ``duration`` seconds."""
        n = math.ceil(duration * self.fps - 1e-9)
        n = max(n, self.min_frames)
        if self.max_frames is not None:
            n = min(n, self.max_frames)
        n = max(1, min(n, length))
        if n >= self.frame_factor:
            n -= n % self.frame_factor
        return n

    def transform(self, results: dict) -> dict:
        clip = results.get('clip')
        times = presentation_times(results, self.probe_timestamps)
        if clip is None:
            clip = (0, times.shape[0] - 1)
            results['clip'] = clip
        start, end = int(clip[0]), int(clip[1])
        if not 0 <= start < end <= times.shape[0] - 1:
            raise ValueError(f'SampleMLLMFrames: query {results.get("qid")!r}: clip '
                             f'[{start}, {end}) outside the video of {times.shape[0] - 1} '
                             'frames')
        duration = float(times[end] - times[start])
        n = self.num_samples(duration, end - start)
        grid = times[start] + (np.arange(n) + 0.5) * duration / n
        clip_times = times[start:end]
        inds = start + np.searchsorted(clip_times, grid, side='right') - 1
        inds = np.unique(np.clip(inds, start, end - 1)).astype(np.int64)
        origin = float(times[start]) if self.time_origin == 'clip' else 0.0
        results['frame_inds'] = inds
        results['frame_times'] = times[inds] - origin
        results['time_origin'] = origin
        results['sample_rate'] = n / duration if duration > 0 else self.fps
        results['num_passes'] = 1
        results['clip_len'] = int(inds.shape[0])
        results['frame_interval'] = None
        results['num_clips'] = 1
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(fps={self.fps}, max_frames={self.max_frames}, '
                f'min_frames={self.min_frames}, frame_factor={self.frame_factor}, '
                f'time_origin={self.time_origin!r}, probe_timestamps={self.probe_timestamps})')
