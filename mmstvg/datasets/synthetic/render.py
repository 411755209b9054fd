"""Rendering and encoding of a synthetic STVG scene.

Frames are the static background with every actor's sprite pasted at its integer position
(no anti-aliasing, so the tight box of the sprite's pixels is exact). Videos are H.264
(``libx264``, ``yuv420p``, constant frame rate) written with :mod:`mmstvg.utils.video_io`.
x264's macroblock-tree rate control (``mbtree``) is switched off: for frames narrower than 8
macroblocks (128 px) its SIMD code reads memory it never wrote, and the same frames gave
different files from run to run (seen at 64 and 96 px). With ``mbtree=0`` and a
single-threaded x264 the same scene gives a byte-identical file.
"""
from typing import Optional, Union

import numpy as np

from mmstvg.utils import video_io
from .scene import PALETTE, Scene


def render_frames(scene: Scene) -> np.ndarray:
    """Render all frames of a scene.

    Args:
        scene (Scene): a placed scene.

    Returns:
        np.ndarray: (num_frames, size, size, 3) uint8 RGB.
    """
    frames = np.repeat(scene.background[None], scene.num_frames, axis=0)
    for actor in scene.actors:
        colour = np.asarray(PALETTE[actor.appearance.colour], dtype=np.uint8)
        h, w = actor.mask.shape
        for t, (x, y) in enumerate(actor.positions()):
            frames[t, y:y + h, x:x + w][actor.mask] = colour
    return frames


def write_video(path: str,
                frames: np.ndarray,
                fps: Union[int, float] = 16,
                crf: int = 18,
                preset: str = 'medium',
                codec: str = 'libx264',
                gop: Optional[int] = None) -> None:
    """Encode RGB frames to an mp4 (H.264, yuv420p) with :class:`~mmstvg.utils.video_io.
    VideoWriter`, deterministically (single-threaded x264 without ``mbtree``).

    Args:
        path (str): output file (``.mp4``).
        frames (np.ndarray): (T, H, W, 3) uint8 RGB; H and W must be even (yuv420p).
        fps (int | float): frame rate. Defaults to 16.
        crf (int): x264 constant rate factor (lower = better). Defaults to 18.
        preset (str): x264 preset. Defaults to ``'medium'``.
        codec (str): encoder name. Defaults to ``'libx264'``.
        gop (int, optional): key-frame interval; None keeps the encoder default.
    """
    height, width = frames.shape[1:3]
    if height % 2 or width % 2:
        raise ValueError(f'yuv420p needs an even frame size, got {height}x{width}')
    options = {'crf': str(crf), 'preset': preset, 'threads': '1'}
    if codec == 'libx264':
        options['x264-params'] = 'mbtree=0'  # see the module docstring (determinism)
    video_io.write_video(path, frames, fps, codec=codec, options=options, gop=gop)


#: Decode every frame of a video: (T, H, W, 3) uint8 RGB (tests and analysis).
read_video = video_io.read_video
