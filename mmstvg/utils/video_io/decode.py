"""Decode chosen frames, RGB ``uint8``, upright: PyAV (sequential) or decord.

Frame indices are 0-based indices of the frames in decoding output order (presentation
order), counted from the first decodable frame, so a frame index means the same frame
everywhere.

Seeking (issue 28): when the wanted frames leave a gap of ``SEEK_MIN_GAP`` frames or more (a
clip late in the video, sparse samples), the file's packets are read first without decoding
(their presentation timestamps and key-frame flags: frame ``k`` is the packet with the
``k``-th smallest timestamp, exact with a variable frame rate), the decoder seeks to the key
frame before each wanted run and every decoded frame is identified by its timestamp, not by
counting. The table is only trusted when it can index the frames as the sequential decoding
does (every packet has a distinct timestamp, the first frame is a key frame); otherwise, or
when a seek lands anywhere but on a frame of the table at or before the wanted one, the file
is decoded sequentially from its first frame, as without seeking. Contiguous clips from the
start are decoded sequentially (nothing to skip).

- :func:`iter_frames` / :func:`read_video`: frames at chosen indices (or all of them), one at
  a time or as one array, with PyAV (from a path or an open container, e.g. mmaction2's
  ``PyAVInit``).
- :func:`decode_frames`: the frames at any indices (repeats allowed), indices past the end
  resolved by the clamp policy of :mod:`~mmstvg.utils.video_io.tolerance`; PyAV, or decord
  for a ``decord.VideoReader`` (mmaction2's ``DecordInit``) or ``backend='decord'``. Both
  decode transforms call it.
"""
import os
import os.path as osp
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from .probe import VideoReadError, _import_av, is_decord_reader, open_video
from .rotation import frame_to_rgb
from .tolerance import DEFAULT_MAX_CLAMP, clamp_frame_indices

#: the smallest gap (frames skipped before or between the wanted frames) worth seeking over
SEEK_MIN_GAP = 16


def _decode_wanted(container, wanted: Sequence[int]):
    """Yield ``(idx, av.VideoFrame)`` for the sorted unique ``wanted``: sequentially, or
    seeking to key frames (module docstring).

    Returns (``StopIteration.value``): ``(last_idx, last_frame)`` of the last decoded frame
    (-1, None when nothing decoded).
    """
    if not len(wanted):
        return (-1, None)
    wanted = [int(i) for i in wanted]
    table = None
    if max(b - a for a, b in zip([-1] + wanted, wanted)) > SEEK_MIN_GAP:
        table = _frame_table(getattr(container, 'name', None))
    if table is None:
        return (yield from _decode_sequential(container, wanted))
    trusted, value = yield from _decode_seeking(container, wanted, *table)
    if trusted:
        return value
    # the timestamps did not identify the frames: decode the file from its first frame,
    # after the wanted frames already yielded (``value``)
    with open_video(container.name) as fresh:
        return (yield from _decode_sequential(fresh, [i for i in wanted if i > value]))


def _decode_sequential(container, wanted: Sequence[int]):
    """Decode from the first frame, counting the frames."""
    last = (-1, None)
    k = 0
    if not wanted:
        return last
    for idx, frame in enumerate(container.decode(video=0)):
        last = (idx, frame)
        if idx == wanted[k]:
            yield idx, frame
            k += 1
            if k == len(wanted):
                break
    return last


def _frame_table(path: Optional[str]) -> Optional[Tuple[np.ndarray, np.ndarray]]:
    """``(pts, keys)``: the presentation timestamp of every frame of ``path``'s video in
    presentation order and the indices of its key frames, read from the packets (nothing is
    decoded); None when they cannot index the frames (missing or repeated timestamps, a
    first frame that is not a key frame) or ``path`` is not a file."""
    if not isinstance(path, str) or not osp.isfile(path):
        return None
    av = _import_av()
    pts, keys = [], []
    try:
        with av.open(path) as container:
            for packet in container.demux(container.streams.video[0]):
                if packet.size == 0 or getattr(packet, 'is_discard', False):
                    continue  # flush packet / dropped by an edit list
                if packet.pts is None:
                    return None
                pts.append(packet.pts)
                keys.append(packet.is_keyframe)
    except (av.error.FFmpegError, OSError, IndexError, ValueError):
        return None
    if not pts:
        return None
    order = np.argsort(np.asarray(pts, dtype=np.int64), kind='stable')
    sorted_pts = np.asarray(pts, dtype=np.int64)[order]
    key_frames = np.flatnonzero(np.asarray(keys, dtype=bool)[order])
    if (sorted_pts[1:] <= sorted_pts[:-1]).any() or key_frames.size == 0 or key_frames[0]:
        return None
    return sorted_pts, key_frames


def _decode_seeking(container, wanted: List[int], pts: np.ndarray, key_frames: np.ndarray):
    """Yield the ``wanted`` frames, seeking to the key frame before each run of them and
    telling the frames by their timestamps (module docstring).

    Returns (``StopIteration.value``): ``(True, (last_idx, last_frame))``, or ``(False,
    last_yielded)`` as soon as a decoded frame is not where the table says (its timestamp
    unknown, a seek past the wanted frame, a wanted frame not decoded), ``last_yielded``
    being the last wanted index yielded so far (-1: none).
    """
    stream = container.streams.video[0]
    index_of = {p: i for i, p in enumerate(pts.tolist())}
    num = len(index_of)

    def key_before(i: int) -> int:
        return int(key_frames[np.searchsorted(key_frames, min(i, num - 1), side='right') - 1])

    last, yielded, position, k = (-1, None), -1, -1, 0
    while True:
        key = key_before(wanted[k])
        # seek to the key frame before the next wanted one (first a no-op at key frame 0)
        container.seek(int(pts[key]), stream=stream, backward=True, any_frame=False)
        run_start = -1
        for frame in container.decode(stream):
            idx = index_of.get(frame.pts) if frame.pts is not None else None
            if idx is None or (run_start < 0 and idx > key) or idx <= run_start:
                return False, yielded
            if run_start < 0:
                run_start = idx
            if idx <= position:
                continue  # decoded again after a seek that landed early
            position, last = idx, (idx, frame)
            if idx > wanted[k]:
                return False, yielded  # the wanted frame was not decoded
            if idx == wanted[k]:
                yield idx, frame
                yielded, k = idx, k + 1
                if k == len(wanted):
                    return True, last
                if key_before(wanted[k]) > position + SEEK_MIN_GAP // 2:
                    break  # seek over the gap
        else:
            return True, last  # the stream ended before the remaining wanted frames


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
    if backend not in ('pyav', 'decord'):
        raise ValueError(f"backend must be 'pyav' or 'decord', got {backend!r}")
    if backend == 'decord' or is_decord_reader(video):
        return _decode_decord(video, inds, out_of_range, max_clamp, name)
    return _decode_pyav(video, inds, out_of_range, max_clamp, multi_thread, name)


def _decode_pyav(video, inds: np.ndarray, out_of_range: str, max_clamp: Optional[int],
                 multi_thread: bool, name: str) -> Tuple[List[np.ndarray], int]:
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
        inds = clamp_frame_indices(inds, available, out_of_range, max_clamp, name)
        decoded.setdefault(last_idx, frame_to_rgb(last_frame))
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
    inds = clamp_frame_indices(inds, total, out_of_range, max_clamp, name)
    wanted = np.unique(inds)
    batch = video.get_batch(wanted.tolist()).asnumpy()  # decord applies the display rotation
    return _in_order({int(i): img for i, img in zip(wanted, batch)}, inds), total
