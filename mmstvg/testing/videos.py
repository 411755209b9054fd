"""Video files for tests, written with :mod:`mmstvg.utils.video_io` (no fixture files).

Every test that needs a video generates it: a constant-frame-rate clip of frames whose
brightness encodes the frame index, or a variable-frame-rate one (explicit per-frame
timestamps, as PyAV writes them).
"""
from typing import Optional, Sequence, Tuple

import numpy as np

from mmstvg.utils.video_io import write_video

#: Frame times (s) of :func:`write_vfr_video`: 6 frames at 10 fps, then 6 at 40 fps. The
#: container's average rate (16 fps in mp4, the nominal 10 fps in mkv) matches neither part,
#: so ``frame / fps`` is wrong by up to about 0.1 s (more in mkv).
VFR_TIMESTAMPS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.525, 0.55, 0.575, 0.6, 0.625, 0.65)


def ramp_frames(num_frames: int,
                size: Tuple[int, int] = (48, 64),
                base: int = 40,
                step: int = 10) -> np.ndarray:
    """(T, H, W, 3) uint8 gray frames; frame ``i`` has brightness ``base + step * i``
    (mod 256), so a decoded frame tells its index (``frame_index_of``)."""
    values = (base + step * np.arange(num_frames)) % 256
    return np.broadcast_to(values[:, None, None, None].astype(np.uint8),
                           (num_frames, size[0], size[1], 3)).copy()


def frame_index_of(img: np.ndarray, base: int = 40, step: int = 10) -> int:
    """The index of a decoded :func:`ramp_frames` frame (mean brightness, rounded)."""
    return int(round((float(np.mean(img)) - base) / step))


def write_test_video(path: str,
                     num_frames: int = 12,
                     size: Tuple[int, int] = (48, 64),
                     fps: float = 10.,
                     frames: Optional[np.ndarray] = None,
                     timestamps: Optional[Sequence[float]] = None,
                     codec: str = 'libx264',
                     display_rotation: int = 0,
                     gop: Optional[int] = None) -> str:
    """Write a test video (default: :func:`ramp_frames`) and return its path.

    Args:
        path (str): output (``.mp4``, ``.mkv``, ``.avi``, ``.mov``).
        num_frames (int): frames (ignored when ``frames`` is given).
        size (tuple[int, int]): (H, W).
        fps (float): frame rate (nominal with ``timestamps``).
        frames (np.ndarray, optional): (T, H, W, 3) uint8 frames to write instead.
        timestamps (Sequence[float], optional): per-frame presentation times (s): a
            variable-frame-rate video.
        codec (str): encoder. Defaults to ``'libx264'`` (lossless enough at crf 0).
        display_rotation (int): counter-clockwise rotation stored in the display matrix
            (the frames are written as given: a player shows them turned). Defaults to 0.
        gop (int, optional): frames from one key frame to the next (the encoder's ``g``), to
            test seeking in a short video. Defaults to None (the encoder's).
    """
    if frames is None:
        frames = ramp_frames(num_frames, size)
    options = {'crf': '0', 'preset': 'ultrafast'} if codec == 'libx264' else \
        {'qscale': '2'}
    if gop is not None:
        options['g'] = str(gop)
    return write_video(
        path,
        frames,
        fps,
        timestamps=timestamps,
        codec=codec,
        options=options,
        display_rotation=display_rotation)


def write_vfr_video(path: str,
                    size: Tuple[int, int] = (48, 64),
                    timestamps: Sequence[float] = VFR_TIMESTAMPS) -> str:
    """A variable-frame-rate test video (:data:`VFR_TIMESTAMPS`) of ramp frames."""
    return write_test_video(
        path, num_frames=len(timestamps), size=size, fps=10., timestamps=timestamps)
