"""Display rotation: frames are shown UPRIGHT, as the container's display matrix asks.

A video whose container carries a display matrix (phone videos: "rotate 90") is decoded
upright, as it is displayed: every frame is turned by the matrix's rotation
(:func:`display_rotation`, :func:`to_display`), and
:func:`~mmstvg.utils.video_io.probe_video` reports the displayed size. This is what the
``ffmpeg`` program (autorotate, on by default), OpenCV and the reference STVG code bases
(TubeDETR and the STCAT family extract frames with ``ffmpeg``) produce, so annotation boxes,
which are pixels of the frames their tools showed, land on the same pixels; decord 0.6 applies
the matrix itself and gives the same frames (tested). A box annotated on the raw (unrotated)
frames of a quarter-turned video then has the transposed frame size, which
:func:`~mmstvg.utils.video_io.check_video_against_annotation` reports as a ``size_mismatch``
naming the rotation (a half turn keeps the size and cannot be told from the annotation). Only
the rotation is applied (multiples of 90 degrees, as ``ffmpeg``); mirror flips in a display
matrix are ignored.
"""
import numpy as np


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
