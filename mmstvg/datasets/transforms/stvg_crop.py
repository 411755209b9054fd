"""Wrap an mmaction2 crop so that it keeps the target of every in-span frame.

mmaction2's crops (``RandomCrop``, ``RandomResizedCrop``, ``MultiScaleCrop``, ``CenterCrop``)
pick one window for all frames and crop the frames and the (N, 4) ``gt_bboxes`` consistently.
Two things are missing for STVG:

1. a random window may cut the target out of some in-span frames; the box becomes a
   zero-width sliver at the border while ``frame_in_span`` still says the target is there.
   Like TubeDETR's ``RandomSizeCrop(respect_boxes=True)``, this wrapper re-draws the window
   (up to ``max_tries``) until every in-span box keeps at least ``min_visible_ratio`` of its
   area (and a non-empty width and height); if none does, the frames are left uncropped;
2. ``RandomCrop._box_crop`` clips boxes to ``[0, w - 1] x [0, h - 1]`` (the inclusive-pixel
   convention), while mmstvg's xyxy boxes are continuous (``Resize`` and ``Flip`` treat them
   so: ``x' = W - x``): a box cut by the right/bottom border loses a pixel, two after a
   2x resize. The boxes are recomputed here from the window the crop records
   (``crop_bbox``) and clipped to ``[0, w] x [0, h]``. Zero rows stay zero.

The images, ``crop_bbox``, ``crop_quadruple`` and ``img_shape`` are those of the wrapped crop.
"""
import numpy as np
from mmcv.transforms import BaseTransform

from mmstvg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class STVGCrop(BaseTransform):
    """Apply ``crop`` (an mmaction2 crop config) with tube-respecting retries.

    Required Keys:

    - imgs (list[np.ndarray]), img_shape (tuple[int, int]).
    - gt_bboxes (np.ndarray, optional): (N, 4) xyxy; frame_in_span (np.ndarray, optional):
      (N,) bool (all non-zero rows count as in span without it).

    Modified Keys:

    - imgs, img_shape, gt_bboxes.

    Added Keys:

    - crop_bbox, crop_quadruple (set by the wrapped crop; absent if no window kept the
      tube).

    Args:
        crop (dict): config of the crop, e.g. ``dict(type='mmaction.RandomResizedCrop')``
            (``lazy`` must be False); it must record ``crop_bbox`` = [x1, y1, x2, y2].
        min_visible_ratio (float): fraction of each in-span box's area that the window must
            keep (besides a positive width and height). Defaults to 0.0.
        max_tries (int): windows drawn before giving up (frames left uncropped).
            Defaults to 10.
    """

    def __init__(self, crop: dict, min_visible_ratio: float = 0.0, max_tries: int = 10) -> None:
        if not 0.0 <= min_visible_ratio <= 1.0:
            raise ValueError(f'min_visible_ratio must be in [0, 1], got {min_visible_ratio}')
        if int(max_tries) < 1:
            raise ValueError(f'max_tries must be >= 1, got {max_tries}')
        self.crop_cfg = crop
        self.crop = TRANSFORMS.build(crop)
        if getattr(self.crop, 'lazy', False):
            raise ValueError('STVGCrop needs a non-lazy crop (it crops the boxes).')
        self.min_visible_ratio = float(min_visible_ratio)
        self.max_tries = int(max_tries)

    @staticmethod
    def crop_boxes(boxes: np.ndarray, crop_bbox) -> np.ndarray:
        """(N, 4) xyxy -> xyxy inside the window ``crop_bbox``, clipped to ``[0, w] x [0, h]``
        (continuous coordinates); all-zero rows stay zero."""
        x1, y1, x2, y2 = [float(v) for v in crop_bbox]
        zero = (boxes == 0).all(axis=-1)
        out = boxes - np.array([x1, y1, x1, y1], dtype=np.float32)
        out[:, 0::2] = np.clip(out[:, 0::2], 0, x2 - x1)
        out[:, 1::2] = np.clip(out[:, 1::2], 0, y2 - y1)
        out[zero] = 0
        return out.astype(np.float32)

    def _keeps_tube(self, before: np.ndarray, after: np.ndarray) -> bool:
        wh_b = before[:, 2:] - before[:, :2]
        wh_a = after[:, 2:] - after[:, :2]
        valid = (wh_b > 0).all(axis=1)  # degenerate annotations are not checked
        if not (wh_a[valid] > 0).all():
            return False
        area_b, area_a = wh_b.prod(axis=1), wh_a.prod(axis=1)
        return bool((area_a[valid] >= self.min_visible_ratio * area_b[valid]).all())

    def transform(self, results: dict) -> dict:
        """Crop (see module docstring).

        Args:
            results (dict): the result dict.

        Returns:
            dict: the result dict.
        """
        boxes = results.get('gt_bboxes')
        if boxes is None:
            return self.crop(results)
        boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
        if 'frame_in_span' in results:
            in_span = np.asarray(results['frame_in_span'], dtype=bool)
        else:
            in_span = ~(boxes == 0).all(axis=1)
        for _ in range(self.max_tries):
            # the crops assign new values to the keys they change: a shallow copy suffices
            out = self.crop(dict(results))
            new_boxes = self.crop_boxes(boxes, out['crop_bbox'])
            new_boxes[~in_span] = 0
            if self._keeps_tube(boxes[in_span], new_boxes[in_span]):
                out['gt_bboxes'] = new_boxes
                return out
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop={self.crop_cfg}, '
                f'min_visible_ratio={self.min_visible_ratio}, max_tries={self.max_tries})')
