"""Decode the sampled frames of a video opened by mmaction2's ``DecordInit``.

Why not mmaction2's ``DecordDecode`` (1.2.0) as-is: whenever ``gt_bboxes`` is in the results
it multiplies it by ``(w, h, w, h)``, because AVA stores normalised boxes. mmstvg's boxes are
absolute pixels (``docs/data_flow.md``) and the dataset's ``gt_bboxes`` is present before
decoding, so the boxes would be scaled by the frame size. Decord itself raises an
``IndexError`` that does not name the file for an index past the end.

This transform decodes through :func:`mmstvg.utils.video_io.decode_frames` (decord's
``get_batch``, exact frames) exactly as ``STVGPyAVDecode`` decodes through it with PyAV
(:mod:`.base_video_decode`): indices past the end are resolved by ``out_of_range`` /
``max_clamp``, the video is compared with its annotation (frame count, frame rate, frame size),
a repeated index gets its own array, and the boxes are left alone. decord (0.6) turns a video
with a display rotation upright by itself, exactly as mmstvg's PyAV decoding does
(:mod:`mmstvg.utils.video_io.rotation`; tests/test_utils/test_video_rotation.py).

``DecordDecode``'s ``mode='efficient'`` is not offered: it seeks to each index and returns the
KEY frame decord lands on, not the frame asked for ("key frames, which may be duplicated and
inaccurate", mmaction2's docstring), so every box target would be paired with another frame;
mmstvg's frame indices mean the same frame everywhere (:mod:`mmstvg.utils.video_io`).
``mode='accurate'`` (the default) is accepted, so a config written for ``DecordDecode`` still
builds; ``'efficient'`` raises ``ValueError`` saying why.
"""
from typing import Optional

from mmstvg.registry import TRANSFORMS
from mmstvg.utils.video_io import DEFAULT_MAX_CLAMP, FPS_RTOL
from .base_video_decode import BaseVideoDecode


@TRANSFORMS.register_module()
class STVGDecordDecode(BaseVideoDecode):
    """Decode ``frame_inds`` with decord (use after ``mmaction.DecordInit``).

    Keys, the annotation check and the arguments other than ``mode``: see
    :class:`~mmstvg.datasets.transforms.base_video_decode.BaseVideoDecode`.

    Required Keys:

    - video_reader (decord.VideoReader): set by ``mmaction.DecordInit``.
    - frame_inds (np.ndarray): (N,) original frame indices (duplicates allowed).

    Modified Keys:

    - video_reader: set to None.

    Added Keys:

    - imgs (list[np.ndarray]), original_shape, img_shape, total_frames (the reader's length,
      as ``DecordInit`` set it).

    Args:
        mode (str): ``'accurate'`` only (exact frames). ``DecordDecode``'s ``'efficient'``
            (key frames instead of the frames asked for) raises ``ValueError``, see the
            module docstring. Defaults to ``'accurate'``.
        out_of_range (str): ``'clamp'`` or ``'error'``. Defaults to ``'clamp'``.
        max_clamp (int, optional): Defaults to ``DEFAULT_MAX_CLAMP`` (2, as
            ``STVGPyAVDecode``).
        check_annotation (bool): Defaults to True.
        fps_rtol (float): Defaults to ``FPS_RTOL``.
    """

    backend = 'decord'

    def __init__(self,
                 mode: str = 'accurate',
                 out_of_range: str = 'clamp',
                 max_clamp: Optional[int] = DEFAULT_MAX_CLAMP,
                 check_annotation: bool = True,
                 fps_rtol: float = FPS_RTOL) -> None:
        if mode == 'efficient':
            raise ValueError(
                "STVGDecordDecode: mode='efficient' is not supported: it returns the key frame "
                'decord seeks to instead of the frame asked for, so boxes would be paired with '
                "other frames; use mode='accurate' (the default)")
        if mode != 'accurate':
            raise ValueError(f"STVGDecordDecode: mode must be 'accurate', got {mode!r}")
        super().__init__(out_of_range, max_clamp, check_annotation, fps_rtol)
        self.mode = mode
