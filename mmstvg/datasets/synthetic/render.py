"""Rendering and encoding of a synthetic STVG scene.

Frames are the static background with every actor's sprite pasted at its integer position
(no anti-aliasing, so the tight box of the sprite's pixels is exact). Videos are H.264
(``libx264``, ``yuv420p``, constant frame rate) written with PyAV. x264's macroblock-tree
rate control (``mbtree``) is switched off: for frames narrower than 8 macroblocks (128 px)
its SIMD code reads memory it never wrote, and the same frames gave different files from run
to run (seen at 64 and 96 px). With ``mbtree=0`` and a single-threaded x264 the same scene
gives a byte-identical file.
"""
from fractions import Fraction
from typing import Optional, Union

import numpy as np

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
    """Encode RGB frames to an mp4 (H.264, yuv420p) with PyAV.

    Args:
        path (str): output file (``.mp4``).
        frames (np.ndarray): (T, H, W, 3) uint8 RGB; H and W must be even (yuv420p).
        fps (int | float): frame rate. Defaults to 16.
        crf (int): x264 constant rate factor (lower = better). Defaults to 18.
        preset (str): x264 preset. Defaults to ``'medium'``.
        codec (str): encoder name. Defaults to ``'libx264'``.
        gop (int, optional): key-frame interval; None keeps the encoder default.
    """
    import av
    height, width = frames.shape[1:3]
    if height % 2 or width % 2:
        raise ValueError(f'yuv420p needs an even frame size, got {height}x{width}')
    options = {'crf': str(crf), 'preset': preset, 'threads': '1'}
    if codec == 'libx264':
        options['x264-params'] = 'mbtree=0'  # see the module docstring (determinism)
    with av.open(path, mode='w') as container:
        rate = Fraction(str(fps)).limit_denominator(100000)
        stream = container.add_stream(codec, rate=rate, options=options)
        stream.width, stream.height, stream.pix_fmt = width, height, 'yuv420p'
        if gop is not None:
            stream.codec_context.gop_size = int(gop)
        for frame in frames:
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format='rgb24')
            for packet in stream.encode(vf):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def read_video(path: str) -> np.ndarray:
    """Decode every frame of a video with PyAV (tests and analysis).

    Returns:
        np.ndarray: (T, H, W, 3) uint8 RGB.
    """
    import av
    with av.open(path) as container:
        frames = [f.to_ndarray(format='rgb24') for f in container.decode(video=0)]
    return np.stack(frames)
