"""Video I/O of mmstvg, in one place: probe, decode chosen frames, write mp4 / GIF.

Frame indices are 0-based indices of the frames in decoding output order (presentation
order), counted from the first decodable frame, exactly as the decode transforms, the
datasets and the metric count them (``docs/data_flow.md``); no key-frame seeking is ever used,
so a frame index means the same frame everywhere.

- :func:`probe_video`: frame count, average frame rate, size, the presentation time of every
  frame (seconds from the first frame) and whether the rate is variable, as a
  :class:`VideoInfo`. Timestamps come from the demuxed packets (fast: nothing is decoded) or,
  with ``decode=True``, from the decoded frames (the count is then the number of decodable
  frames).
- :func:`iter_frames` / :func:`decode_frames` / :func:`read_video`: the frames at chosen
  indices (or all of them), RGB ``uint8``, decoded sequentially with PyAV (from a path or an
  open container, e.g. mmaction2's ``PyAVInit``); :func:`decode_frames` also accepts a
  ``decord.VideoReader`` (mmaction2's ``DecordInit``) or ``backend='decord'``.
- Rotation: a video whose container carries a display matrix (phone videos: "rotate 90")
  is decoded UPRIGHT, as it is displayed: every frame is turned by the matrix's rotation
  (:func:`display_rotation`, :func:`to_display`), and :func:`probe_video` reports the
  displayed size. This is what the ``ffmpeg`` program (autorotate, on by default), OpenCV
  and the reference STVG code bases (TubeDETR and the STCAT family extract frames with
  ``ffmpeg``) produce, so annotation boxes, which are pixels of the frames their tools
  showed, land on the same pixels; decord 0.6 applies the matrix itself and gives the same
  frames (tested). A box annotated on the raw (unrotated) frames of a quarter-turned video
  then has the transposed frame size, which :func:`check_video_against_annotation` reports as a
  ``size_mismatch`` naming the rotation (a half turn keeps the size and cannot be told from
  the annotation). Only the rotation is applied (multiples of 90 degrees, as ``ffmpeg``);
  mirror flips in a display matrix are ignored.
- :func:`check_frame_coverage` and :func:`check_video_against_annotation`: the one place
  where the tolerance between a video and its annotation is decided (frames clamped past the
  end, frame count, frame rate, frame size). The decode transforms and
  ``tools/data/check_dataset.py`` both call them, so the data gate and the pipeline agree.
- :class:`VideoWriter` (H.264 mp4 / mkv / avi / mov) and :func:`write_gif`: frames at a
  constant rate, or each at its own presentation time (``timestamps``: the source timing of a
  variable-frame-rate video is kept); :class:`OutputFile`: a video, GIF or image by the
  output suffix; :func:`output_timing`: the clock (rate or per-frame times) of an output.
"""
import os
import os.path as osp
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

#: Frames past the last decodable one that the decoders serve with the last frame
#: (``out_of_range='clamp'``): annotated frame counts often exceed the decodable frames of a
#: file by one or two. A video shorter than that is truncated (an error).
DEFAULT_MAX_CLAMP = 2
#: Relative tolerance between a video's average frame rate and its annotated ``fps``.
#: Loose on purpose: HC-STVG derives ``fps`` from ``img_num / 20``; the frame count (exact
#: when the container records it) is the precise check of "boxes on the right frames".
FPS_RTOL = 0.05
#: A stream whose frame durations deviate from their median by more than this fraction of it
#: has a variable frame rate (rounding to the container's time base stays well below).
VFR_RTOL = 0.1

#: Output suffixes :class:`VideoWriter` writes (libx264, or mpeg4 where x264 is missing).
VIDEO_SUFFIXES = ('.mp4', '.mkv', '.avi', '.mov')
GIF_SUFFIX = '.gif'
IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.webp')
#: Time base of written videos when per-frame timestamps are given (MPEG's 90 kHz clock:
#: exact for 24, 25, 30, 29.97 ... fps).
WRITE_TIME_BASE = Fraction(1, 90000)


class VideoReadError(ValueError):
    """A video file cannot be opened or decoded (the message names the file)."""


class VideoMismatchError(ValueError):
    """A video disagrees with its annotation (size, frame count or frame rate).

    Attributes:
        problems (list[tuple[str, str]]): ``(reason, message)`` pairs, see
            :func:`check_video_against_annotation`.
    """

    def __init__(self, message: str, problems: Sequence[Tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


# ----------------------------------------------------------------------------- probing
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


def display_rotation(frame) -> int:
    """The counter-clockwise rotation (0, 90, 180 or 270 degrees) that shows a decoded PyAV
    frame upright: its display matrix's angle (``VideoFrame.rotation``, PyAV >= 14) rounded
    to a quarter turn, as the ``ffmpeg`` program rounds it."""
    angle = getattr(frame, 'rotation', 0) or 0
    return int(round(float(angle) / 90.)) % 4 * 90


def to_display(img: np.ndarray, rotation: int) -> np.ndarray:
    """``img`` (H, W, C) turned ``rotation`` degrees counter-clockwise (a multiple of 90):
    the frame as it is displayed. A contiguous copy when turned."""
    k = (int(rotation) // 90) % 4
    return img if k == 0 else np.ascontiguousarray(np.rot90(img, k))


def frame_to_rgb(frame) -> np.ndarray:
    """A decoded PyAV frame as an upright (H, W, 3) uint8 RGB array (rotation applied)."""
    return to_display(frame.to_ndarray(format='rgb24'), display_rotation(frame))


def first_frame_rotation(path: str) -> int:
    """The display rotation of a video file, read from its first decoded frame."""
    with open_video(path) as container:
        for frame in container.decode(video=0):
            return display_rotation(frame)
    return 0


def _stream_rate(stream) -> Optional[float]:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    return float(rate) if rate else None


def container_meta(container) -> dict:
    """``num_frames`` and ``fps`` of an open PyAV container's first video stream, from its
    header alone (no decoding): ``num_frames`` is None when the container does not record
    it (mkv, webm), ``fps`` None when no rate is known."""
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


# ----------------------------------------------------------------------------- tolerance
def clamp_tolerance(out_of_range: str = 'clamp',
                    max_clamp: Optional[int] = DEFAULT_MAX_CLAMP) -> Optional[int]:
    """Frames past the last decodable one that are served (None: any number)."""
    if out_of_range not in ('clamp', 'error'):
        raise ValueError(f'out_of_range must be "clamp" or "error", got {out_of_range!r}')
    return 0 if out_of_range == 'error' else max_clamp


def check_frame_coverage(needed: int,
                         available: int,
                         out_of_range: str = 'clamp',
                         max_clamp: Optional[int] = DEFAULT_MAX_CLAMP) -> Optional[str]:
    """Whether ``available`` decodable frames serve every frame index below ``needed``.

    Args:
        needed (int): one past the largest frame index asked for.
        available (int): decodable frames of the video.
        out_of_range, max_clamp: the decoders' policy (see ``STVGPyAVDecode``).

    Returns:
        str or None: None when served (exactly, or by clamping at most ``max_clamp`` frames
        to the last one); otherwise the reason, for an error message.
    """
    tol = clamp_tolerance(out_of_range, max_clamp)
    if available >= needed or (tol is None and available > 0):
        return None
    if available > 0 and needed - available <= tol:
        return None
    return (f'frame {needed - 1} requested but the video has {available} decodable frames '
            f'(truncated video; out_of_range={out_of_range!r}, max_clamp={max_clamp})')


def check_video_against_annotation(video: Dict[str, Optional[float]],
                                   ann: Dict[str, Optional[float]],
                                   out_of_range: str = 'clamp',
                                   max_clamp: Optional[int] = DEFAULT_MAX_CLAMP,
                                   fps_rtol: float = FPS_RTOL) -> List[Tuple[str, str]]:
    """Compare what a video is with what its annotation says it is.

    Boxes are absolute pixels of given frames: a video of another size, or whose frames are
    shifted (another frame count or rate: a different encode or download), puts every box on
    other pixels or frames. Keys missing or None on either side are not compared.

    Args:
        video (dict): ``num_frames``, ``fps``, ``height``, ``width`` of the file.
        ann (dict): the same keys from the annotation (``data_info``).
        out_of_range, max_clamp: the decoders' policy; the frame count may differ by the
            number of frames they clamp (``max_clamp``; 0 with ``'error'``; None: any).
        fps_rtol (float): relative frame-rate tolerance. Defaults to ``FPS_RTOL``.

    Returns:
        list[tuple[str, str]]: ``(reason, message)`` for each disagreement; reasons are
        ``'size_mismatch'``, ``'truncated_video'`` (fewer frames than annotated),
        ``'frame_count_mismatch'`` (more frames) and ``'fps_mismatch'``.
    """
    problems = []
    vh, vw, ah, aw = (video.get('height'), video.get('width'), ann.get('height'), ann.get('width'))
    if None not in (vh, vw, ah, aw) and (int(vh), int(vw)) != (int(ah), int(aw)):
        swapped = (int(vh), int(vw)) == (int(aw), int(ah))
        problems.append(('size_mismatch', f'the frames are {int(vw)}x{int(vh)} (WxH) but the '
                         f'annotation says {int(aw)}x{int(ah)}: its boxes are pixels of '
                         'another frame size' +
                         (' (width and height swapped: mmstvg shows a video turned upright by '
                          'its display rotation, as ffmpeg does; was the annotation made on '
                          'the unrotated frames?)' if swapped else '')))
    vn, an = video.get('num_frames'), ann.get('num_frames')
    if vn and an:
        vn, an = int(vn), int(an)
        short = check_frame_coverage(an, vn, out_of_range, max_clamp)
        tol = clamp_tolerance(out_of_range, max_clamp)
        if short is not None:
            problems.append(('truncated_video', f'the video has {vn} frames, the annotation '
                             f'{an} (more than the {tol} frame(s) the decoders clamp)'))
        elif tol is not None and vn - an > max(tol, 0):
            problems.append(('frame_count_mismatch', f'the video has {vn} frames, the '
                             f'annotation {an}: frames (and boxes) would be shifted'))
    vf, af = video.get('fps'), ann.get('fps')
    if vf and af and abs(float(vf) - float(af)) > fps_rtol * float(af):
        problems.append(('fps_mismatch', f'the video runs at {float(vf):g} fps, the '
                         f'annotation says {float(af):g} fps (tolerance {fps_rtol:.0%})'))
    return problems


def raise_on_mismatch(problems: Sequence[Tuple[str, str]], filename: str) -> None:
    """Raise :class:`VideoMismatchError` naming ``filename`` when ``problems`` is not empty."""
    if problems:
        raise VideoMismatchError(
            f'{filename} does not match its annotation: ' +
            '; '.join(f'{msg} [{reason}]' for reason, msg in problems) +
            ' (re-encode or re-download the video, or fix the annotation; '
            'tools/data/check_dataset.py lists every such video)', problems)


def video_annotation_check(results: dict,
                           out_of_range: str = 'clamp',
                           max_clamp: Optional[int] = DEFAULT_MAX_CLAMP,
                           fps_rtol: float = FPS_RTOL):
    """A checker of a pipeline's video against the annotation in ``results``.

    Args:
        results (dict): the pipeline results (``num_frames``, ``fps``, ``height``,
            ``width`` of the annotation; ``filename``).
        out_of_range, max_clamp, fps_rtol: see :func:`check_video_against_annotation`.

    Returns:
        callable or None: ``check(**video_fields)`` compares the given fields of the video
        (e.g. ``num_frames=``, ``fps=`` before decoding, ``height=``, ``width=`` after) and
        raises :class:`VideoMismatchError` naming the file; None when ``results`` carries
        no annotation to compare with.
    """
    keys = ('num_frames', 'fps', 'height', 'width')
    ann = {k: results.get(k) for k in keys if results.get(k) is not None}
    if not ann:
        return None
    filename = str(results.get('filename', '<video>'))

    def check(**video) -> None:
        raise_on_mismatch(
            check_video_against_annotation(video, ann, out_of_range, max_clamp, fps_rtol),
            filename)

    return check


# ----------------------------------------------------------------------------- decoding
def _decode_wanted(container, wanted: Sequence[int]):
    """Decode sequentially; yield ``(idx, av.VideoFrame)`` for the sorted unique ``wanted``.

    Returns (``StopIteration.value``): ``(last_idx, last_frame)`` of the last decoded frame
    (-1, None when nothing decoded).
    """
    last = (-1, None)
    k = 0
    if not len(wanted):
        return last
    for idx, frame in enumerate(container.decode(video=0)):
        last = (idx, frame)
        if idx == wanted[k]:
            yield idx, frame
            k += 1
            if k == len(wanted):
                break
    return last


@contextmanager
def _container_of(video, multi_thread: bool = False):
    """An open PyAV container for a path (closed after) or an open container (closed
    after too: it has been read to the end of what was needed)."""
    if isinstance(video, (str, os.PathLike)):
        with open_video(str(video)) as container:
            if multi_thread:
                container.streams.video[0].thread_type = 'AUTO'
            yield container
        return
    try:
        if multi_thread:
            video.streams.video[0].thread_type = 'AUTO'
        yield video
    finally:
        video.close()


def iter_frames(video,
                frame_inds: Optional[Sequence[int]] = None,
                multi_thread: bool = True) -> Iterator[Tuple[int, np.ndarray]]:
    """Decode frames ``frame_inds`` sequentially with PyAV, one at a time (streaming).

    Args:
        video (str | av.container.InputContainer): a file or an open container.
        frame_inds (Sequence[int], optional): original frame indices (any order; yielded
            sorted, once each). Indices past the last decodable frame are not yielded.
            None: every frame (e.g. to resize them while decoding a whole video).
        multi_thread (bool): let FFmpeg decode with threads. Defaults to True.

    Yields:
        tuple[int, np.ndarray]: ``(frame_idx, (H, W, 3) uint8 RGB)``.

    Raises:
        FileNotFoundError: missing file. VideoReadError: not a video, or the stream cannot
        be decoded (the message names the file and the frame).
    """
    wanted = None if frame_inds is None else sorted(set(int(i) for i in frame_inds))
    if wanted is not None and not wanted:
        return
    av = _import_av()
    name = str(video) if isinstance(video, (str, os.PathLike)) else '<video>'
    idx = -1
    with _container_of(video, multi_thread) as container:
        frames = enumerate(container.decode(video=0)) if wanted is None else \
            _decode_wanted(container, wanted)
        try:
            for idx, frame in frames:
                yield idx, frame_to_rgb(frame)
        except av.error.FFmpegError as e:
            raise VideoReadError(f'failed to decode {name} after frame {idx}: {e}') from e


def read_video(video, frame_inds: Optional[Sequence[int]] = None) -> np.ndarray:
    """Decode the frames of a video (every frame by default) into one array.

    Args:
        video (str | av.container.InputContainer): a file or an open container.
        frame_inds (Sequence[int], optional): see :func:`iter_frames`.

    Returns:
        np.ndarray: (T, H, W, 3) uint8 RGB.

    Raises:
        FileNotFoundError: missing file. VideoReadError: undecodable, or no frame decoded.
    """
    frames = [img for _, img in iter_frames(video, frame_inds)]
    if not frames:
        raise VideoReadError(f'no decodable frame in {video}')
    return np.stack(frames)


def _is_decord_reader(video) -> bool:
    return type(video).__module__.startswith('decord') or (hasattr(video, 'get_batch')
                                                           and hasattr(video, 'get_avg_fps'))


def decode_frames(video,
                  frame_inds: Sequence[int],
                  out_of_range: str = 'clamp',
                  max_clamp: Optional[int] = DEFAULT_MAX_CLAMP,
                  multi_thread: bool = False,
                  backend: str = 'pyav',
                  filename: Optional[str] = None) -> Tuple[List[np.ndarray], int]:
    """The frames at ``frame_inds`` (any order, repeats allowed), RGB ``uint8``.

    Indices past the last decodable frame follow ``out_of_range``: ``'clamp'`` returns the
    last frame for at most ``max_clamp`` frames past it (a video shorter than that is
    truncated), ``'error'`` raises. A repeated index gets its own array (in-place transforms
    such as mmaction2's ``Flip`` would otherwise flip a shared array twice).

    Args:
        video: a file path, an open PyAV container (mmaction2's ``PyAVInit``) or a
            ``decord.VideoReader`` (mmaction2's ``DecordInit``).
        frame_inds (Sequence[int]): (N,) original frame indices, >= 0.
        out_of_range (str): ``'clamp'`` or ``'error'``. Defaults to ``'clamp'``.
        max_clamp (int, optional): see above; None: no limit. Defaults to
            ``DEFAULT_MAX_CLAMP``.
        multi_thread (bool): PyAV: decode with FFmpeg threads. Defaults to False.
        backend (str): for a path: ``'pyav'`` or ``'decord'``. Defaults to ``'pyav'``.
        filename (str, optional): named in errors (defaults to the path).

    Returns:
        tuple: ``imgs`` (list of N (H, W, 3) uint8 arrays, in the order of ``frame_inds``)
        and ``num_available``: the decodable frames when the stream ended before the
        largest index (PyAV), or the reader's length (decord); -1 when PyAV stopped early.

    Raises:
        IndexError: invalid or out-of-range indices (naming the file). VideoReadError:
        the stream cannot be decoded.
    """
    name = filename or (str(video) if isinstance(video, (str, os.PathLike)) else '<video>')
    inds = np.asarray(frame_inds, dtype=np.int64).reshape(-1)
    if inds.size == 0 or inds.min() < 0:
        raise IndexError(f'invalid frame indices for {name}: {inds.tolist()[:8]}')
    if backend == 'decord' or _is_decord_reader(video):
        return _decode_decord(video, inds, out_of_range, max_clamp, name)
    if backend != 'pyav':
        raise ValueError(f"backend must be 'pyav' or 'decord', got {backend!r}")
    av = _import_av()
    wanted = np.unique(inds)
    decoded: Dict[int, np.ndarray] = {}
    with _container_of(video, multi_thread) as container:
        gen = _decode_wanted(container, wanted)
        try:
            while True:
                idx, frame = next(gen)
                decoded[idx] = frame_to_rgb(frame)
        except StopIteration as stop:
            last_idx, last_frame = stop.value if stop.value is not None else (-1, None)
        except av.error.FFmpegError as e:
            raise VideoReadError(f'failed to decode {name}: {e}') from e
    available = -1
    if len(decoded) < len(wanted):
        if last_frame is None:
            raise VideoReadError(f'no decodable frame in {name}')
        available = last_idx + 1
        reason = check_frame_coverage(int(wanted[-1]) + 1, available, out_of_range, max_clamp)
        if reason is not None:
            raise IndexError(f'{name}: {reason}')
        decoded.setdefault(last_idx, frame_to_rgb(last_frame))
        inds = np.minimum(inds, last_idx)
    return _in_order(decoded, inds), available


def _in_order(decoded: Dict[int, np.ndarray], inds: np.ndarray) -> List[np.ndarray]:
    imgs, used = [], set()
    for i in inds.tolist():
        imgs.append(decoded[i].copy() if i in used else decoded[i])
        used.add(i)
    return imgs


def _decode_decord(video, inds: np.ndarray, out_of_range: str, max_clamp: Optional[int],
                   name: str) -> Tuple[List[np.ndarray], int]:
    if isinstance(video, (str, os.PathLike)):
        import decord
        if not osp.isfile(str(video)):
            raise FileNotFoundError(f'video file {video} does not exist')
        video = decord.VideoReader(str(video))
    total = len(video)
    reason = check_frame_coverage(int(inds.max()) + 1, total, out_of_range, max_clamp)
    if reason is not None:
        raise IndexError(f'{name}: {reason}')
    inds = np.minimum(inds, total - 1)
    wanted = np.unique(inds)
    batch = video.get_batch(wanted.tolist()).asnumpy()  # decord applies the display rotation
    return _in_order({int(i): img for i, img in zip(wanted, batch)}, inds), total


# ----------------------------------------------------------------------------- writing
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
