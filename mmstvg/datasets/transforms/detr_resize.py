"""DETR's resize of every frame of a clip (DETR/MDETR ``T.RandomResize``, TubeDETR's
``datasets/video_transforms.py``): the short side to ``scale`` pixels, the long side kept under
``max_size``, the aspect ratio kept.

The output size follows the released code exactly, so that a converted model sees the frames
it was trained on: with ``(w, h)`` the frame size, ``s = scale`` and ``m = max_size``,

1. if ``max(w, h) / min(w, h) * s > m``: ``s = int(round(m * min(w, h) / max(w, h)))``;
2. if the short side already equals ``s``: no resize;
3. else the short side becomes ``s`` and the long side ``int(s * long / short)`` (floor).

mmaction2's ``Resize(keep_ratio=True)`` rounds the long side to the nearest integer instead
(e.g. 640x360 -> 587x330 instead of DETR's 586x330), so it is not used for TubeDETR. The
pixels are resized bilinearly (OpenCV, as TubeDETR's ``cv2.resize``); boxes, ``img_shape``
and ``scale_factor`` are updated as mmaction2's ``Resize`` does (this class reuses it).

With several ``scale`` values one is drawn uniformly per clip (DETR's random resize at
training time).
"""
from typing import Optional, Sequence, Tuple, Union

import numpy as np
from mmaction.datasets.transforms import Resize

from mmstvg.registry import TRANSFORMS


def detr_resize_size(img_wh: Tuple[int, int],
                     scale: int,
                     max_size: Optional[int] = None) -> Tuple[int, int]:
    """Output ``(w, h)`` of DETR's resize (module docstring).

    Args:
        img_wh (tuple): ``(w, h)`` of the input frame.
        scale (int): target short side.
        max_size (int, optional): cap on the long side.

    Returns:
        tuple: ``(new_w, new_h)``.
    """
    w, h = int(img_wh[0]), int(img_wh[1])
    size = int(scale)
    if max_size is not None:
        short, long = float(min(w, h)), float(max(w, h))
        if long / short * size > max_size:
            size = int(round(max_size * short / long))
    if (w <= h and w == size) or (h <= w and h == size):
        return w, h
    if w < h:
        return size, int(size * h / w)
    return int(size * w / h), size


@TRANSFORMS.register_module()
class DETRResize(Resize):
    """Resize the frames of a clip as DETR/TubeDETR (module docstring).

    Required Keys: ``imgs``, ``img_shape``; ``gt_bboxes`` (optional).

    Modified Keys: ``imgs``, ``img_shape``, ``gt_bboxes``.

    Added Keys: ``scale_factor`` (accumulated), ``keep_ratio`` (True).

    Args:
        scale (int | Sequence[int]): target short side, or the sizes to draw from.
        max_size (int, optional): cap on the long side.
        interpolation (str): ``'bilinear'`` (TubeDETR's ``cv2.INTER_LINEAR``).
    """

    def __init__(self,
                 scale: Union[int, Sequence[int]],
                 max_size: Optional[int] = None,
                 interpolation: str = 'bilinear') -> None:
        scales = [int(scale)] if np.isscalar(scale) else [int(s) for s in scale]
        if not scales or min(scales) < 1:
            raise ValueError(f'scale must be positive sizes, got {scale!r}')
        if max_size is not None and int(max_size) < 1:
            raise ValueError(f'max_size must be positive, got {max_size}')
        super().__init__(scale=(1, 1), keep_ratio=False, interpolation=interpolation)
        self.scales = scales
        self.max_size = None if max_size is None else int(max_size)

    def transform(self, results: dict) -> dict:
        """Resize ``imgs`` (and ``gt_bboxes``) to DETR's size for this clip."""
        scale = self.scales[0] if len(self.scales) == 1 else \
            self.scales[np.random.randint(len(self.scales))]
        img_h, img_w = results['img_shape']
        new_w, new_h = detr_resize_size((img_w, img_h), scale, self.max_size)
        self.scale = (new_w, new_h)  # mmaction2's Resize with keep_ratio=False uses it as is
        results = super().transform(results)
        results['keep_ratio'] = True
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale={self.scales}, max_size={self.max_size}, '
                f'interpolation={self.interpolation})')
