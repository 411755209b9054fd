"""Decode the sampled frames of a video opened by mmaction2's ``DecordInit``.

Why not mmaction2's ``DecordDecode`` (1.2.0) as-is: whenever ``gt_bboxes`` is in the results
it multiplies it by ``(w, h, w, h)``, because AVA stores normalised boxes. mmstvg's boxes are
absolute pixels (``docs/data_flow.md``) and the dataset's ``gt_bboxes`` is present before
decoding, so the boxes would be scaled by the frame size. This subclass decodes exactly as
``DecordDecode`` does (``_decord_load_frames``, both modes) and leaves the boxes alone. It also
resolves indices past the end like ``STVGPyAVDecode`` (``out_of_range``), where decord raises
an ``IndexError`` that does not name the file, and compares the video with its annotation
(frame count, frame rate, frame size) as ``STVGPyAVDecode`` does; the policy lives in
:mod:`mmstvg.utils.video_io`. decord (0.6) turns a video with a display rotation upright by
itself, exactly as mmstvg's PyAV decoding does (:mod:`mmstvg.utils.video_io`, "Rotation";
tests/test_utils/test_video_rotation.py).
"""
from typing import Optional

import numpy as np
from mmaction.datasets.transforms import DecordDecode

from mmstvg.registry import TRANSFORMS
from mmstvg.utils.video_io import (DEFAULT_MAX_CLAMP, FPS_RTOL, check_frame_coverage,
                                   clamp_tolerance, video_annotation_check)


@TRANSFORMS.register_module()
class STVGDecordDecode(DecordDecode):
    """Decode ``frame_inds`` with decord (use after ``mmaction.DecordInit``).

    Required Keys:

    - video_reader (decord.VideoReader): set by ``mmaction.DecordInit``.
    - frame_inds (np.ndarray): (N,) original frame indices (duplicates allowed).
    - filename (str, optional): used in error messages.
    - num_frames, fps, height, width (optional): the annotation, compared with the video
      (see ``STVGPyAVDecode``).

    Modified Keys:

    - video_reader: set to None.

    Added Keys:

    - imgs (list[np.ndarray]): N frames (H, W, 3) uint8 RGB, in the order of ``frame_inds``.
    - original_shape (tuple[int, int]), img_shape (tuple[int, int]): (H, W).

    Args:
        mode (str): ``'accurate'`` or ``'efficient'`` (key frames only), as ``DecordDecode``.
            Defaults to ``'accurate'``.
        out_of_range (str): ``'clamp'`` (indices past the end get the last frame) or
            ``'error'`` (``IndexError`` naming the file). Defaults to ``'clamp'``.
        max_clamp (int, optional): ``'clamp'`` covers at most this many frames past the
            end; a shorter (truncated) video raises ``IndexError``. None: no limit.
            Defaults to ``DEFAULT_MAX_CLAMP`` (2, as ``STVGPyAVDecode``).
        check_annotation (bool): compare the video with its annotation. Defaults to True.
        fps_rtol (float): relative frame-rate tolerance of that check. Defaults to
            ``FPS_RTOL``.
    """

    def __init__(self,
                 mode: str = 'accurate',
                 out_of_range: str = 'clamp',
                 max_clamp: Optional[int] = DEFAULT_MAX_CLAMP,
                 check_annotation: bool = True,
                 fps_rtol: float = FPS_RTOL) -> None:
        super().__init__(mode=mode)
        clamp_tolerance(out_of_range, max_clamp)  # validates out_of_range
        self.out_of_range = out_of_range
        self.max_clamp = max_clamp
        self.check_annotation = check_annotation
        self.fps_rtol = fps_rtol

    def transform(self, results: dict) -> dict:
        """Decode the frames (boxes untouched).

        Args:
            results (dict): the result dict.

        Returns:
            dict: the result dict.
        """
        container = results['video_reader']
        filename = results.get('filename', '<video>')
        frame_inds = np.asarray(results['frame_inds'], dtype=np.int64).reshape(-1)
        total = len(container)
        if frame_inds.size == 0 or frame_inds.min() < 0 or total == 0:
            raise IndexError(f'STVGDecordDecode: invalid frame_inds for {filename} '
                             f'({total} frames): {frame_inds.tolist()[:8]}...')
        check = video_annotation_check(results, self.out_of_range, self.max_clamp,
                                       self.fps_rtol) if self.check_annotation else None
        if check is not None:
            check(num_frames=total, fps=float(container.get_avg_fps()))
        reason = check_frame_coverage(
            int(frame_inds.max()) + 1, total, self.out_of_range, self.max_clamp)
        if reason is not None:
            raise IndexError(f'STVGDecordDecode: {filename}: {reason}')
        # decord's own decoding (both modes of mmaction2's DecordDecode), indices clamped
        imgs = self._decord_load_frames(container, np.minimum(frame_inds, total - 1))
        if check is not None:
            check(height=imgs[0].shape[0], width=imgs[0].shape[1])
        results['imgs'] = imgs
        results['original_shape'] = imgs[0].shape[:2]
        results['img_shape'] = imgs[0].shape[:2]
        results['video_reader'] = None
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(mode={self.mode}, '
                f'out_of_range={self.out_of_range!r}, max_clamp={self.max_clamp}, '
                f'check_annotation={self.check_annotation})')
