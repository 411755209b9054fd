"""Decode the sampled frames of a video opened by mmaction2's ``DecordInit``.

Why not mmaction2's ``DecordDecode`` (1.2.0) as-is: whenever ``gt_bboxes`` is in the results
it multiplies it by ``(w, h, w, h)``, because AVA stores normalised boxes. mmstvg's boxes are
absolute pixels (``docs/data_flow.md``) and the dataset's ``gt_bboxes`` is present before
decoding, so the boxes would be scaled by the frame size. This subclass decodes exactly as
``DecordDecode`` does (``_decord_load_frames``, both modes) and leaves the boxes alone. It also
resolves indices past the end like ``STVGPyAVDecode`` (``out_of_range``), where decord raises
an ``IndexError`` that does not name the file.
"""
from typing import Optional

import numpy as np
from mmaction.datasets.transforms import DecordDecode

from mmstvg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class STVGDecordDecode(DecordDecode):
    """Decode ``frame_inds`` with decord (use after ``mmaction.DecordInit``).

    Required Keys:

    - video_reader (decord.VideoReader): set by ``mmaction.DecordInit``.
    - frame_inds (np.ndarray): (N,) original frame indices (duplicates allowed).
    - filename (str, optional): used in error messages.

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
            Defaults to 2 (as ``STVGPyAVDecode``).
    """

    def __init__(self, mode: str = 'accurate', out_of_range: str = 'clamp',
                 max_clamp: Optional[int] = 2) -> None:
        super().__init__(mode=mode)
        if out_of_range not in ('clamp', 'error'):
            raise ValueError(f'out_of_range must be "clamp" or "error", got {out_of_range!r}')
        self.out_of_range = out_of_range
        self.max_clamp = max_clamp

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
        if frame_inds.max() >= total:
            beyond = int(frame_inds.max()) - (total - 1)
            if self.out_of_range == 'error' or (self.max_clamp is not None and
                                                beyond > self.max_clamp):
                raise IndexError(f'STVGDecordDecode: frame {int(frame_inds.max())} requested '
                                 f'but {filename} has {total} frames (truncated video; '
                                 f'out_of_range={self.out_of_range!r}, '
                                 f'max_clamp={self.max_clamp}).')
            frame_inds = np.minimum(frame_inds, total - 1)
        imgs = self._decord_load_frames(container, frame_inds)
        results['imgs'] = imgs
        results['original_shape'] = imgs[0].shape[:2]
        results['img_shape'] = imgs[0].shape[:2]
        results['video_reader'] = None
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(mode={self.mode}, '
                f'out_of_range={self.out_of_range!r})')
