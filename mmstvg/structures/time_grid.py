"""Seconds <-> original frames through the sampled frames' presentation times (pure numpy).

A multimodal LLM sees a few sampled frames and speaks in seconds. Its seconds mean the times
it was shown: the presentation time of each sampled frame (``frame_times``, from the time
origin of the sample, ``SampleMLLMFrames``), not ``frame / fps`` (wrong for a variable frame
rate) nor ``int(t * fps)`` (STVG-R1's evaluator, which also shifts every boundary down).

The map between a frame index and a time is the piecewise-linear one through the pairs
``(frame_inds[k], frame_times[k])`` of the sampled frames, extended beyond the first and the
last sampled frame at the video's nominal rate (``fps`` frames per second). At a constant
frame rate it is exactly ``t = (f - f0) / fps``; at a variable rate it is exact at every
sampled frame and linear between two of them. Both directions use the same map, so
``seconds_to_frames(frames_to_seconds(f)) == f`` for every frame ``f``.

Spans: a half-open frame span ``[s, e)`` lasts from the presentation time of ``s`` to that of
``e`` (the end of frame ``e - 1``), as :meth:`mmstvg.utils.video_io.VideoInfo.frame_time`
counts it. A span in seconds ``[a, b]`` becomes ``[round(f(a)), round(f(b)))``, clipped to
the query's clip.
"""
from typing import Optional, Sequence, Tuple

import numpy as np


def _grid(frame_inds, frame_times) -> Tuple[np.ndarray, np.ndarray]:
    """Sorted unique (frame, time) pairs of the sampled frames."""
    inds = np.asarray(frame_inds, dtype=np.float64).reshape(-1)
    times = np.asarray(frame_times, dtype=np.float64).reshape(-1)
    if inds.shape != times.shape or inds.size == 0:
        raise ValueError(f'need one presentation time per sampled frame, got {inds.size} '
                         f'frames and {times.size} times')
    inds, first = np.unique(inds, return_index=True)
    return inds, times[first]


def _interp(x, xp: np.ndarray, fp: np.ndarray, slope: float) -> np.ndarray:
    """``np.interp`` extended linearly with ``slope`` outside ``[xp[0], xp[-1]]``."""
    x = np.asarray(x, dtype=np.float64)
    out = np.interp(x, xp, fp)
    out = np.where(x < xp[0], fp[0] + (x - xp[0]) * slope, out)
    return np.where(x > xp[-1], fp[-1] + (x - xp[-1]) * slope, out)


def frames_to_seconds(frames, frame_inds, frame_times, fps: float) -> np.ndarray:
    """Presentation times (s, from the sample's time origin) of original ``frames``.

    Args:
        frames (array-like): original frame indices (any shape).
        frame_inds (array-like): (N,) original indices of the sampled frames.
        frame_times (array-like): (N,) their presentation times in seconds.
        fps (float): the video's nominal rate, used beyond the sampled frames.

    Returns:
        np.ndarray: float64 seconds, the shape of ``frames``.
    """
    inds, times = _grid(frame_inds, frame_times)
    return _interp(frames, inds, times, 1.0 / float(fps))


def seconds_to_frames(seconds, frame_inds, frame_times, fps: float) -> np.ndarray:
    """Original frame positions (float, not rounded) of times in seconds (module docstring).

    Returns:
        np.ndarray: float64 frame positions, the shape of ``seconds``.
    """
    inds, times = _grid(frame_inds, frame_times)
    if np.any(np.diff(times) <= 0):
        raise ValueError('the presentation times of the sampled frames must increase')
    return _interp(seconds, times, inds, float(fps))


def seconds_to_span(start: float,
                    end: float,
                    frame_inds,
                    frame_times,
                    fps: float,
                    clip: Optional[Sequence[int]] = None) -> Tuple[int, int]:
    """Half-open original-frame span of a span in seconds, clipped to ``clip``.

    Args:
        start, end (float): seconds from the sample's time origin (``start <= end``).
        frame_inds, frame_times, fps: the sample's time grid (:func:`seconds_to_frames`).
        clip (Sequence[int], optional): ``[start, end)`` of the query's frames.

    Returns:
        tuple[int, int]: ``(s, e)`` with ``s <= e`` (empty when the span rounds to nothing
        or lies outside the clip).
    """
    s, e = np.rint(seconds_to_frames([start, end], frame_inds, frame_times, fps)).astype(np.int64)
    s, e = int(s), int(e)
    if clip is not None:
        lo, hi = int(clip[0]), int(clip[1])
        s, e = min(max(s, lo), hi), min(max(e, lo), hi)
    return s, max(s, e)


def span_to_seconds(span: Sequence[int], frame_inds, frame_times,
                    fps: float) -> Tuple[float, float]:
    """Seconds ``(t(s), t(e))`` of a half-open original-frame span ``[s, e)``."""
    t = frames_to_seconds([int(span[0]), int(span[1])], frame_inds, frame_times, fps)
    return float(t[0]), float(t[1])


def nearest_sampled_frames(seconds, frame_inds, frame_times) -> np.ndarray:
    """The sampled frame whose presentation time is nearest to each of ``seconds``.

    Returns:
        np.ndarray: int64 original frame indices, the shape of ``seconds``.
    """
    inds, times = _grid(frame_inds, frame_times)
    sec = np.asarray(seconds, dtype=np.float64)
    k = np.abs(sec[..., None] - times).argmin(axis=-1)
    return inds[k].astype(np.int64)
