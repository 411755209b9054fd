"""Open and probe videos with PyAV: frame count, frame rate, size, per-frame timestamps.

:func:`probe_video` returns a :class:`VideoInfo`. Timestamps come from the demuxed packets
(fast: nothing is decoded) or, with ``decode=True``, from the decoded frames (the count is then
the number of decodable frames). :func:`container_meta` is the frame count and rate of an
opened video without decoding it (a PyAV container's header, or a ``decord.VideoReader``'s
length and rate): what the decode transforms compare with the annotation before decoding.
"""
import os.path as osp
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

from .rotation import display_rotation

#: A stream whose frame durations deviate from their median by more than this fraction of it
#: has a variable frame rate (rounding to the container's time base stays well below).
VFR_RTOL = 0.1


class VideoReadError(ValueError):
    """A video file cannot be opened or decoded (the message names the file)."""


@dataclass
class VideoInfo:
    """What :func:`probe_video` learns about a video.

    Attributes:
        path (str): the file.
        num_frames (int): frames (demuxed packets, or decodable frames with ``decode=True``).
        fps (float): the container's average frame rate (FFmpeg's ``avg_frame_rate``, what
            annotations and the decode transforms see as ``fps``), else ``num_frames /
            duration``. For a variable-frame-rate video it is NOT the local rate (some
            containers even report a nominal one): use ``timestamps`` for seconds.
        height, width (int): frame size in pixels.
        timestamps (np.ndarray): (num_frames,) float64 presentation time of each frame in
            seconds, from the first frame (``timestamps[0] == 0``), increasing.
        duration (float): seconds from the first frame to the end of the last one.
        is_vfr (bool): the frame durations vary (see ``VFR_RTOL``).
        time_base (Fraction, optional): the stream's time base (for writing with the source
            timing).
        decoded (bool): the count and timestamps come from decoding every frame.
        container (dict): what the container's header says, ``num_frames`` (None when it
            does not record it, e.g. mkv) and ``fps``: what the decode transforms compare
            with the annotation (:func:`container_meta`).
        codec (str, optional): the stream's codec (FFmpeg's name, e.g. ``'h264'``).
        pix_fmt (str, optional): its pixel format (e.g. ``'yuv420p'``).
        rotation (int): counter-clockwise quarter turns x 90 that the display matrix asks
            for (0, 90, 180 or 270), already applied to ``height`` / ``width`` and to every
            decoded frame.
    """
    path: str
    num_frames: int
    fps: float
    height: int
    width: int
    timestamps: np.ndarray
    duration: float
    is_vfr: bool
    time_base: Optional[Fraction] = None
    decoded: bool = False
    container: Optional[dict] = None
    codec: Optional[str] = None
    pix_fmt: Optional[str] = None
    rotation: int = 0

    def frame_time(self, frame: Union[int, Sequence[int], np.ndarray]):
        """Presentation time (s) of frame(s) ``frame``; ``num_frames`` gives the end of the
        last frame (``duration``), so a half-open span ``[s, e)`` lasts
        ``frame_time(e) - frame_time(s)``.

        Raises:
            IndexError: a frame outside ``[0, num_frames]``.
        """
        arr = np.asarray(frame, dtype=np.int64)
        if arr.size and (arr.min() < 0 or arr.max() > self.num_frames):
            raise IndexError(f'{self.path}: frame {arr.tolist()} outside [0, '
                             f'{self.num_frames}]')
        times = np.append(self.timestamps, self.duration)[arr]
        return float(times) if times.ndim == 0 else times

    def meta(self) -> dict:
        """``dict(num_frames, fps, height, width)``: the ``data_info`` keys of a video."""
        return dict(num_frames=self.num_frames, fps=self.fps, height=self.height, width=self.width)


def _import_av():
    try:
        import av
    except ImportError as e:  # pragma: no cover (a requirement)
        raise ImportError('mmstvg reads videos with PyAV: pip install av') from e
    return av


@contextmanager
def open_video(path: str):
    """Open ``path`` with PyAV for reading; errors name the file.

    Raises:
        FileNotFoundError: no such file. VideoReadError: not a readable video.
    """
    av = _import_av()
    if not osp.isfile(path):
        raise FileNotFoundError(f'video file {path} does not exist')
    try:
        container = av.open(path)
    except (av.error.FFmpegError, OSError, ValueError) as e:
        raise VideoReadError(f'cannot open video {path}: {e}') from e
    try:
        if not container.streams.video:
            raise VideoReadError(f'{path} has no video stream')
        yield container
    finally:
        container.close()


def first_frame_rotation(path: str) -> int:
    """The display rotation of a video file, read from its first decoded frame."""
    with open_video(path) as container:
        for frame in container.decode(video=0):
            return display_rotation(frame)
    return 0


def _stream_rate(stream) -> Optional[float]:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    return float(rate) if rate else None


def is_decord_reader(video) -> bool:
    """Whether ``video`` is a ``decord.VideoReader`` (mmaction2's ``DecordInit``)."""
    return type(video).__module__.startswith('decord') or (hasattr(video, 'get_batch')
                                                           and hasattr(video, 'get_avg_fps'))


def container_meta(container) -> dict:
    """``num_frames`` and ``fps`` of an opened video, without decoding it: what the decode
    transforms compare with the annotation before decoding.

    For an open PyAV container (mmaction2's ``PyAVInit``), its first video stream's header:
    ``num_frames`` is None when the container does not record it (mkv, webm), ``fps`` None
    when no rate is known. For a ``decord.VideoReader`` (mmaction2's ``DecordInit``), its
    length and average rate (decord indexes the frames when it opens the file).
    """
    if is_decord_reader(container):
        return dict(num_frames=len(container), fps=float(container.get_avg_fps()))
    stream = container.streams.video[0]
    rate = stream.average_rate or stream.guessed_rate
    return dict(num_frames=int(stream.frames or 0) or None, fps=float(rate) if rate else None)


def timing_from_pts(pts: Sequence[Optional[int]],
                    time_base: Optional[Fraction],
                    fps_hint: Optional[float] = None,
                    last_duration: Optional[float] = None) -> Tuple[np.ndarray, float, bool]:
    """Per-frame times of presentation timestamps (any order, as demuxed).

    Args:
        pts (Sequence[int | None]): one timestamp per frame in ``time_base`` units; when
            one is missing the frames are taken as evenly spaced at ``fps_hint``.
        time_base (Fraction, optional): seconds per pts unit.
        fps_hint (float, optional): the container's frame rate (fallback spacing, and the
            duration of the last frame when ``last_duration`` is unknown and there is a
            single frame).
        last_duration (float, optional): duration of the last frame in seconds.

    Returns:
        tuple: ``timestamps`` (N,) float64 sorted seconds from the first frame, ``duration``
        (s) and ``is_vfr``.
    """
    num = len(pts)
    if num == 0:
        return np.zeros(0), 0., False
    if time_base is None or any(p is None for p in pts) or len(set(pts)) != num:
        step = 1. / fps_hint if fps_hint else 0.
        return np.arange(num) * step, num * step, False
    ticks = np.sort(np.asarray(pts, dtype=np.int64))
    times = (ticks - ticks[0]).astype(np.float64) * float(time_base)
    diffs = np.diff(times)
    median = float(np.median(diffs)) if num > 1 else 0.
    is_vfr = bool(num > 2 and median > 0 and np.abs(diffs - median).max() > VFR_RTOL * median)
    if not last_duration or last_duration <= 0:
        last_duration = median if median > 0 else (1. / fps_hint if fps_hint else 0.)
    return times, float(times[-1] + last_duration), is_vfr


def probe_video(path: str, decode: bool = False) -> VideoInfo:
    """Frame count, frame rate, size and per-frame timestamps of a video (PyAV).

    Args:
        path (str): the video file (any container FFmpeg reads).
        decode (bool): decode every frame: the count is then the number of DECODABLE frames
            (what the decoders can return) and a corrupt stream raises. False reads the
            packets only (no decoding; fast): the count is the number of frames the file
            holds. Defaults to False.

    Returns:
        VideoInfo: see its attributes.

    Raises:
        FileNotFoundError: missing file. VideoReadError: not a video, no decodable frame,
        corrupt stream, unknown frame rate.
    """
    av = _import_av()
    with open_video(path) as container:
        header = container_meta(container)
        stream = container.streams.video[0]
        time_base = stream.time_base
        height, width = stream.codec_context.height, stream.codec_context.width
        codec, pix_fmt = stream.codec_context.name, stream.codec_context.pix_fmt
        pts: List[Optional[int]] = []
        last_duration, latest = None, None
        rotation = None
        try:
            if decode:
                stream.thread_type = 'AUTO'
                for frame in container.decode(stream):
                    pts.append(frame.pts)
                    height, width = frame.height, frame.width
                    if rotation is None:
                        rotation = display_rotation(frame)
                    if frame.pts is not None and (latest is None or frame.pts > latest):
                        latest = frame.pts
                        duration = getattr(frame, 'duration', None)
                        last_duration = float(duration * time_base) \
                            if duration and time_base else None
            else:
                for packet in container.demux(stream):
                    if packet.size == 0 or getattr(packet, 'is_discard', False):
                        continue  # flush packet / dropped by an edit list
                    p = packet.pts if packet.pts is not None else packet.dts
                    pts.append(p)
                    if p is not None and (latest is None or p > latest):
                        # the duration of the frame presented last ends the video
                        latest = p
                        last_duration = float(packet.duration * time_base) \
                            if packet.duration and time_base else None
        except av.error.FFmpegError as e:
            raise VideoReadError(f'cannot {"decode" if decode else "read"} video {path} '
                                 f'(after {len(pts)} frames): {e}') from e
        rate = header['fps'] or _stream_rate(stream)
    if not pts:
        raise VideoReadError(f'{path} has no {"decodable " if decode else ""}frame')
    if rotation is None:  # the display matrix comes with the decoded frames
        try:
            rotation = first_frame_rotation(path)
        except (VideoReadError, av.error.FFmpegError):
            rotation = 0
    if rotation in (90, 270):
        height, width = width, height
    timestamps, duration, is_vfr = timing_from_pts(pts, time_base, rate, last_duration)
    num = len(pts)
    if duration > 0 and not rate:
        rate = num / duration
    if not rate or rate <= 0:
        raise VideoReadError(f'{path}: unknown frame rate')
    if not duration:
        duration = num / rate
        timestamps = np.arange(num) / rate
    return VideoInfo(
        path=path,
        num_frames=num,
        fps=float(rate),
        height=int(height),
        width=int(width),
        timestamps=timestamps,
        duration=float(duration),
        is_vfr=is_vfr,
        time_base=time_base,
        decoded=decode,
        container=header,
        codec=codec,
        pix_fmt=pix_fmt,
        rotation=rotation)
