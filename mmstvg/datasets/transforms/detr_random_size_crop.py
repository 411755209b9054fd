"""DETR's random-size crop of a clip (DETR/MDETR ``T.RandomSizeCrop``, TubeDETR's
``datasets/video_transforms.py``): one window for every frame, of width drawn uniformly in
``[min_size, min(w, max_size)]`` and height in ``[min_size, min(h, max_size)]`` (integers,
both ends included), at a uniformly drawn position.

It crops the frames and records the window (``crop_bbox`` = [x1, y1, x2, y2], as mmaction2's
crops do); wrap it in :class:`~mmstvg.datasets.transforms.STVGCrop` to crop the boxes and to
re-draw windows that cut the target out of a frame of the GT span (TubeDETR's
``respect_boxes=True``: up to 100 draws, then the clip is left uncropped).
"""
import numpy as np
from mmcv.transforms import BaseTransform

from mmstvg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class DETRRandomSizeCrop(BaseTransform):
    """Crop every frame with one random window (module docstring).

    Required Keys: ``imgs`` (list of (H, W, C) arrays), ``img_shape``.

    Modified Keys: ``imgs``, ``img_shape``; ``gt_bboxes`` (shifted and clipped, if present).

    Added Keys: ``crop_bbox`` (np.ndarray [x1, y1, x2, y2]).

    Args:
        min_size (int): smallest window side (TubeDETR at resolution 352: 192).
        max_size (int): largest window side (TubeDETR at resolution 352: 587).
    """

    def __init__(self, min_size: int, max_size: int) -> None:
        if not 0 < int(min_size) <= int(max_size):
            raise ValueError(f'need 0 < min_size <= max_size, got {min_size}, {max_size}')
        self.min_size = int(min_size)
        self.max_size = int(max_size)

    def transform(self, results: dict) -> dict:
        """Crop ``imgs`` (and ``gt_bboxes``) with a random window."""
        img_h, img_w = results['img_shape']
        if img_w < self.min_size or img_h < self.min_size:
            raise ValueError(f'DETRRandomSizeCrop: frames of {img_w}x{img_h} are smaller than '
                             f'min_size={self.min_size}')
        tw = np.random.randint(self.min_size, min(img_w, self.max_size) + 1)
        th = np.random.randint(self.min_size, min(img_h, self.max_size) + 1)
        x1 = np.random.randint(0, img_w - tw + 1)
        y1 = np.random.randint(0, img_h - th + 1)
        results['imgs'] = [img[y1:y1 + th, x1:x1 + tw] for img in results['imgs']]
        results['img_shape'] = (int(th), int(tw))
        results['crop_bbox'] = np.array([x1, y1, x1 + tw, y1 + th])
        if results.get('gt_bboxes') is not None:
            boxes = np.asarray(results['gt_bboxes'], dtype=np.float32) - \
                np.array([x1, y1, x1, y1], dtype=np.float32)
            boxes[:, 0::2] = boxes[:, 0::2].clip(0, tw)
            boxes[:, 1::2] = boxes[:, 1::2].clip(0, th)
            results['gt_bboxes'] = boxes
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(min_size={self.min_size}, max_size={self.max_size})'
