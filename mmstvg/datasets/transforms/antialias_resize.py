"""CG-STVG / TA-STVG's frame resize: height to 420, width by the aspect ratio capped at 1.4,
antialiased bilinear.

The forks resize each decoded frame when loading it (``datasets/hcstvg.py`` / ``vidstg.py``)::

    rate = w / h
    frame = Resize((420, min(int(420 * rate), int(420 * 1.4))), antialias=True)(ToTensor()(frame))

(torchvision's tensor resize, i.e. ``torch.nn.functional.interpolate(mode='bilinear',
antialias=True, align_corners=False)`` on 0..1 floats; checked: max |diff| 0.0 against
torchvision 0.28's ``Resize((420, 588), antialias=True)`` on a random 1280 x 720 frame).
The *height* is always 420 (also for a portrait video) and the width is floored, so a 16:9
video becomes 420 x 588 (the cap: ``int(420 * 1.7778) = 746 > 588``) and a 4:3 one 420 x 560.
Their later ``RandomResize`` keeps this size (it reads the frame's own size) and only rescales
the boxes from the original size, as mmaction2's ``Resize`` does here. Unlike OpenCV's
bilinear resize (TubeDETR's, mmaction2's), the downscale is antialiased, which changes the
pixels of a 1280 x 720 video noticeably.

The output frames are float32 on the 0..255 scale (the resize is linear, so the data
preprocessor's ImageNet mean/std on 0..255 equals the forks' ``Normalize`` on 0..1). Note:
``PackSTVGInputs`` stores frames as uint8 (rounding, at most half a grey level, ~0.009 after
normalisation); the forks keep floats. The model comparison feeds both models the same
tensor, so it is not affected; a float pipeline is left for later.
"""
from typing import List

import numpy as np
import torch
import torch.nn.functional as F
from mmaction.datasets.transforms import Resize

from mmstvg.registry import TRANSFORMS


def capped_aspect_size(img_wh, height: int = 420, max_aspect: float = 1.4):
    """``(new_w, new_h)`` of the forks' resize of a ``(w, h)`` frame."""
    w, h = int(img_wh[0]), int(img_wh[1])
    return min(int(height * (w / h)), int(height * max_aspect)), int(height)


@TRANSFORMS.register_module()
class AntialiasResize(Resize):
    """Resize every frame to ``height`` x capped width, antialiased (module docstring).

    Required Keys: ``imgs``, ``img_shape``; ``gt_bboxes`` (optional).

    Modified Keys: ``imgs`` (float32), ``img_shape``, ``gt_bboxes``.

    Added Keys: ``scale_factor`` (accumulated), ``keep_ratio`` (True).

    Args:
        height (int): output height. Defaults to 420.
        max_aspect (float): cap of width / height. Defaults to 1.4.
    """

    def __init__(self, height: int = 420, max_aspect: float = 1.4) -> None:
        super().__init__(scale=(1, 1), keep_ratio=False)
        self.height = int(height)
        self.max_aspect = float(max_aspect)

    def _resize_imgs(self, imgs, new_w, new_h) -> List[np.ndarray]:
        out = []
        for img in imgs:
            x = torch.from_numpy(np.ascontiguousarray(img)).float()
            x = x.permute(2, 0, 1)[None] if x.ndim == 3 else x[None, None]
            x = F.interpolate(
                x, size=(new_h, new_w), mode='bilinear', align_corners=False, antialias=True)
            x = x[0].permute(1, 2, 0) if img.ndim == 3 else x[0, 0]
            out.append(x.numpy())
        return out

    def transform(self, results: dict) -> dict:
        """Resize ``imgs`` (and ``gt_bboxes``)."""
        img_h, img_w = results['img_shape']
        self.scale = capped_aspect_size((img_w, img_h), self.height, self.max_aspect)
        results = super().transform(results)
        results['keep_ratio'] = True
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(height={self.height}, max_aspect={self.max_aspect})'
