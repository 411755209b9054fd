"""Write frames: H.264 mp4 / mkv / avi / mov (:class:`VideoWriter`), GIF (:func:`write_gif`).

Frames are written at a constant rate, or each at its own presentation time
(``timestamps``: the source timing of a variable-frame-rate video is kept);
:class:`OutputFile` writes a video, GIF or image by the output suffix; :func:`output_timing`
is the clock (rate or per-frame times) of an output.
"""
import os
import os.path as osp
from fractions import Fraction
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .probe import VideoInfo, _import_av

#: Output suffixes :class:`VideoWriter` writes (libx264, or mpeg4 where x264 is missing).
VIDEO_SUFFIXES = ('.mp4', '.mkv', '.avi', '.mov')
GIF_SUFFIX = '.gif'
IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.webp')
#: Time base of written videos when per-frame timestamps are given (MPEG's 90 kHz clock:
#: exact for 24, 25, 30, 29.97 ... fps).
WRITE_TIME_BASE = Fraction(1, 90000)


def output_timing(
        info: Optional[VideoInfo] = None,
        fps: Optional[float] = None,
        fallback_fps: Optional[float] = None) -> Tuple[Optional[float], Optional[np.ndarray]]:
    """The clock to show or write frames of a video with.

    An explicit ``fps`` wins (constant rate); else the timing of a probed video file: each
    frame's presentation time when its rate varies, else its average rate; else
    ``fallback_fps`` (e.g. an annotation's ``fps``).

    Args:
        info (VideoInfo, optional): :func:`probe_video` of the source file.
        fps (float, optional): the requested constant frame rate.
        fallback_fps (float, optional): the rate when neither of the above gives one.

    Returns:
        tuple: ``fps`` (float or None) and ``times`` ((num_frames,) seconds per original
        frame, or None: frame ``i`` is at ``i / fps``).
    """
    if fps:
        return float(fps), None
    if info is not None:
        return info.fps, info.timestamps if info.is_vfr else None
    return (float(fallback_fps) if fallback_fps else None), None


def output_kind(path: str) -> str:
    """``'video'``, ``'gif'`` or ``'image'`` by the suffix of ``path``.

    Raises:
        ValueError: another suffix (named with the accepted ones).
    """
    suffix = osp.splitext(str(path))[1].lower()
    if suffix in VIDEO_SUFFIXES:
        return 'video'
    if suffix == GIF_SUFFIX:
        return 'gif'
    if suffix in IMAGE_SUFFIXES:
        return 'image'
    raise ValueError(f'{path}: cannot tell what to write from the suffix {suffix!r}; use a '
                     f'video ({", ".join(VIDEO_SUFFIXES)}), {GIF_SUFFIX} or an image '
                     f'({", ".join(IMAGE_SUFFIXES)})')


def _pad_even(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    if h % 2 or w % 2:
        img = np.pad(img, ((0, h % 2), (0, w % 2), (0, 0)))
    return img


def _rate(fps: float, max_denominator: int = 100000) -> Fraction:
    return Fraction(str(float(fps))).limit_denominator(max_denominator)


class VideoWriter:
    """Stream RGB frames into a video file with PyAV (``yuv420p``).

    Frames are written at a constant ``fps``, or each at the presentation time given to
    :meth:`write` (seconds; the source timing of a variable-frame-rate video is kept: the
    output's timestamps are the given ones, rounded to ``time_base``). Odd frame sizes are
    padded with one black row / column (``yuv420p`` needs even sizes).

    Args:
        path (str): output file (``.mp4``, ``.mkv``, ``.avi``, ``.mov``); its folder is
            created.
        fps (float): frame rate (the nominal rate when times are given). Must be > 0.
        codec (str): encoder; when PyAV lacks it, ``fallback_codec`` is used. Defaults to
            ``'libx264'`` (H.264).
        options (dict, optional): encoder options, e.g. ``{'crf': '23', 'preset':
            'veryfast'}`` for x264.
        fallback_codec (str): encoder used when ``codec`` is unavailable. Defaults to
            ``'mpeg4'``.
        time_base (Fraction, optional): time base of the timestamps when :meth:`write`
            gets times (e.g. the source stream's). Defaults to ``WRITE_TIME_BASE``.
        gop (int, optional): key-frame interval; None keeps the encoder's default.
        display_rotation (int): counter-clockwise rotation (a multiple of 90) stored in the
            container's display matrix: players (and mmstvg's readers) show the written
            frames turned by it. Needs PyAV's ``VideoStream.set_display_rotation``.
            Defaults to 0 (none).
    """

    def __init__(self,
                 path: str,
                 fps: float,
                 codec: str = 'libx264',
                 options: Optional[Dict[str, str]] = None,
                 fallback_codec: str = 'mpeg4',
                 time_base: Optional[Fraction] = None,
                 gop: Optional[int] = None,
                 display_rotation: int = 0) -> None:
        av = _import_av()
        output_kind(path)
        if output_kind(path) != 'video':
            raise ValueError(f'VideoWriter writes {", ".join(VIDEO_SUFFIXES)} files, got '
                             f'{path}')
        if not fps or not float(fps) > 0:
            raise ValueError(f'VideoWriter: fps must be > 0, got {fps}')
        try:
            av.codec.Codec(codec, 'w')
        except Exception:  # noqa: BLE001 (PyAV raises several types for unknown codecs)
            codec, options = fallback_codec, None
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        self.path = path
        self.codec = codec
        self.options = {str(k): str(v) for k, v in (options or {}).items()}
        self.rate = _rate(fps)
        self.time_base = Fraction(time_base) if time_base else WRITE_TIME_BASE
        self.gop = gop
        if int(display_rotation) % 90:
            raise ValueError(f'VideoWriter: display_rotation must be a multiple of 90, got '
                             f'{display_rotation}')
        self.display_rotation = int(display_rotation) % 360
        self._av = av
        self._container = None
        self._stream = None
        self._timed: Optional[bool] = None
        self._last_pts: Optional[int] = None
        self.num_frames = 0

    def _open(self, height: int, width: int) -> None:
        self._container = self._av.open(self.path, mode='w')
        self._stream = self._container.add_stream(self.codec, rate=self.rate, options=self.options)
        self._stream.height, self._stream.width = height, width
        self._stream.pix_fmt = 'yuv420p'
        if self.gop is not None:
            self._stream.codec_context.gop_size = int(self.gop)
        if self.display_rotation:
            self._stream.set_display_rotation(self.display_rotation)
        if self._timed:
            if osp.splitext(self.path)[1].lower() == '.avi':
                raise ValueError(f'VideoWriter: {self.path}: AVI stores a constant frame rate '
                                 'only; write per-frame times to .mp4, .mkv or .mov')
            self._stream.codec_context.time_base = self.time_base
            self._stream.time_base = self.time_base

    def write(self, img: np.ndarray, time: Optional[float] = None) -> None:
        """Encode one (H, W, 3) uint8 RGB frame (all frames of one file have one size).

        Args:
            img (np.ndarray): the frame.
            time (float, optional): its presentation time in seconds. Give a time to every
                frame (increasing) or to none (constant rate).
        """
        img = _pad_even(np.ascontiguousarray(img, dtype=np.uint8))
        timed = time is not None
        if self._timed is None:
            self._timed = timed
        elif self._timed != timed:
            raise ValueError('VideoWriter: give a time to every frame or to none')
        if self._container is None:
            self._open(*img.shape[:2])
        elif (img.shape[0], img.shape[1]) != (self._stream.height, self._stream.width):
            raise ValueError(f'VideoWriter: frame of size {img.shape[:2]} after frames of size '
                             f'{(self._stream.height, self._stream.width)}')
        frame = self._av.VideoFrame.from_ndarray(img, format='rgb24')
        if timed:
            pts = int(round(float(time) / self.time_base))
            if self._last_pts is not None and pts <= self._last_pts:
                raise ValueError(f'VideoWriter: frame times must increase, got {time} s after '
                                 f'{float(self._last_pts * self.time_base)} s')
            frame.pts, frame.time_base = pts, self.time_base
            self._last_pts = pts
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self.num_frames += 1

    def close(self) -> None:
        """Flush the encoder and close the file."""
        if self._container is None:
            return
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()
        self._container = None

    def __enter__(self) -> 'VideoWriter':
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_video(path: str,
                frames: Sequence[np.ndarray],
                fps: float,
                timestamps: Optional[Sequence[float]] = None,
                **kwargs) -> str:
    """Write (H, W, 3) uint8 RGB frames with :class:`VideoWriter` (kwargs go to it).

    Args:
        path (str): output file.
        frames (Sequence[np.ndarray]): the frames.
        fps (float): frame rate (nominal when ``timestamps`` is given).
        timestamps (Sequence[float], optional): presentation time (s) of each frame.

    Returns:
        str: ``path``.
    """
    if timestamps is not None and len(timestamps) != len(frames):
        raise ValueError(f'{len(frames)} frames but {len(timestamps)} timestamps')
    with VideoWriter(path, fps, **kwargs) as writer:
        for i, img in enumerate(frames):
            writer.write(img, None if timestamps is None else float(timestamps[i]))
    return path


def gif_durations_ms(num_frames: int,
                     fps: Optional[float] = None,
                     timestamps: Optional[Sequence[float]] = None) -> List[int]:
    """Per-frame GIF delays in milliseconds (GIF stores 1/100 s; at least 10 ms each).

    With ``timestamps`` each frame lasts until the next one (the last as long as the median
    frame); else ``1000 / fps`` each. Rounding errors are carried over, so the total duration
    is kept.
    """
    if timestamps is not None:
        times = np.asarray(timestamps, dtype=np.float64).reshape(-1)
        if times.size != num_frames:
            raise ValueError(f'{num_frames} frames but {times.size} timestamps')
        diffs = np.diff(times)
        last = float(np.median(diffs)) if diffs.size else (1. / fps if fps else 0.1)
        seconds = np.append(diffs, last)
    else:
        if not fps or fps <= 0:
            raise ValueError(f'fps must be > 0, got {fps}')
        seconds = np.full(num_frames, 1. / float(fps))
    ends = np.round(np.cumsum(seconds) * 100).astype(np.int64)  # 1/100 s
    durations = np.diff(np.concatenate([[0], ends])) * 10
    return [max(int(d), 10) for d in durations]


class OutputFile:
    """Frames written to ``path``, the kind chosen by its suffix (:func:`output_kind`).

    - video (``.mp4``, ``.mkv``, ``.avi``, ``.mov``): frames streamed to
      :class:`VideoWriter`;
    - ``.gif``: frames held in memory, written by :func:`write_gif` on :meth:`close`;
    - an image suffix: no frame is kept; :meth:`close` writes the image it is given (e.g. a
      key-frame montage) with ``mmcv.imwrite``.

    Frames get a presentation time each (seconds, any origin: the output starts at 0 s and
    keeps their spacing, e.g. a variable-frame-rate source's) or none (constant ``fps``).
    An unknown suffix raises ``ValueError`` here, before any frame is drawn.

    Args:
        path (str): output file; its folder is created.
        fps (float): frame rate (nominal when times are given). Must be > 0.
        codec, options: video encoder and its options, see :class:`VideoWriter`.
        gif_backend (str): see :func:`write_gif`. Defaults to ``'auto'``.
        time_base (Fraction, optional): time base of the written timestamps (video).
    """

    def __init__(self,
                 path: str,
                 fps: float,
                 codec: str = 'libx264',
                 options: Optional[Dict[str, str]] = None,
                 gif_backend: str = 'auto',
                 time_base: Optional[Fraction] = None) -> None:
        self.path = path
        self.kind = output_kind(path)
        self.fps = fps
        self.gif_backend = gif_backend
        self._writer = VideoWriter(path, fps, codec, options, time_base=time_base) \
            if self.kind == 'video' else None
        self._frames: List[np.ndarray] = []
        self._times: List[Optional[float]] = []
        self._t0: Optional[float] = None

    def write(self, img: np.ndarray, time: Optional[float] = None) -> None:
        """Add one (H, W, 3) uint8 RGB frame, at ``time`` seconds (optional)."""
        if time is not None:
            self._t0 = float(time) if self._t0 is None else self._t0
            time = float(time) - self._t0
        if self._writer is not None:
            self._writer.write(img, time)
        elif self.kind == 'gif':
            self._frames.append(img)
            self._times.append(time)

    def close(self, image: Optional[np.ndarray] = None) -> None:
        """Finish the file: flush the video, write the GIF, or write ``image`` (RGB) for an
        image output."""
        if self._writer is not None:
            self._writer.close()
        elif self.kind == 'gif' and self._frames:
            write_gif(
                self.path,
                self._frames,
                self.fps,
                backend=self.gif_backend,
                timestamps=None if None in self._times else self._times)
        elif self.kind == 'image' and image is not None:
            import mmcv
            mmcv.imwrite(np.ascontiguousarray(image[..., ::-1]), self.path)

    def __enter__(self) -> 'OutputFile':
        return self

    def __exit__(self, *exc) -> None:
        if self._writer is not None:
            self._writer.close()


def write_gif(path: str,
              frames: Sequence[np.ndarray],
              fps: Optional[float] = None,
              backend: str = 'auto',
              timestamps: Optional[Sequence[float]] = None) -> str:
    """Write (H, W, 3) uint8 RGB frames as a looping animated GIF.

    Args:
        path (str): output file; its folder is created.
        frames (Sequence[np.ndarray]): the frames (same size).
        fps (float, optional): frame rate (GIF delays are in 1/100 s).
        backend (str): ``'pil'``, ``'pyav'`` or ``'auto'`` (PIL when importable, else PyAV).
            Defaults to ``'auto'``.
        timestamps (Sequence[float], optional): presentation time (s) of each frame: each
            frame is shown until the next one (source timing); replaces ``fps``.

    Returns:
        str: ``path``.
    """
    if len(frames) == 0:
        raise ValueError('write_gif: no frame to write')
    durations = gif_durations_ms(len(frames), fps, timestamps)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    if backend == 'auto':
        try:
            import PIL.Image  # noqa: F401
            backend = 'pil'
        except ImportError:
            backend = 'pyav'
    if backend == 'pil':
        from PIL import Image
        images = [Image.fromarray(np.ascontiguousarray(f, dtype=np.uint8)) for f in frames]
        images[0].save(
            path,
            format='GIF',
            save_all=True,
            append_images=images[1:],
            duration=durations if len(set(durations)) > 1 else durations[0],
            loop=0,
            optimize=False)
        return path
    if backend != 'pyav':
        raise ValueError(f"write_gif: backend must be 'auto', 'pil' or 'pyav', got {backend!r}")
    av = _import_av()
    time_base = Fraction(1, 100)
    with av.open(path, mode='w', format='gif') as container:
        stream = container.add_stream('gif', rate=_rate(100. / max(durations[0] / 10, 1), 100))
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = 'rgb8'
        stream.codec_context.time_base = time_base
        pts = 0
        for img, duration in zip(frames, durations):
            frame = av.VideoFrame.from_ndarray(
                np.ascontiguousarray(img, dtype=np.uint8), format='rgb24').reformat(format='rgb8')
            frame.pts, frame.time_base = pts, time_base
            pts += duration // 10
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
