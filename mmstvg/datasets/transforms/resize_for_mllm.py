"""Resize sampled frames to a multimodal LLM's grid and pixel budget, boxes along.

Qwen2-VL / Qwen2.5-VL / Qwen3-VL cut a frame into ``patch_size`` patches merged
``merge_size`` x ``merge_size``, so its sides must be multiples of ``factor = patch_size *
merge_size`` (28 for Qwen2/2.5-VL, 32 for Qwen3-VL), and its area lies in ``[min_pixels,
max_pixels]`` (transformers' ``smart_resize``, the same rule as qwen-vl-utils: the aspect ratio
kept as closely as possible). A budget for the whole clip, ``total_pixels``, lowers the
per-frame cap as qwen-vl-utils does for videos: ``max(min(max_pixels, total_pixels *
frame_factor // N), 1.05 * min_pixels)`` for N frames.

Resizing here, in the pipeline, rather than in the processor, makes the resize one recorded
step (``scale_factor``, ``img_shape``) that ``BaseGrounder.boxes_to_original`` undoes, like
any other resize: an answer in the model's input pixels maps back to original pixels. The
frames then already have the processor's size, and the processor does not resize them again.
The resize itself is mmaction2's ``Resize`` (cv2, bicubic; transformers' PIL bicubic differs
in the last bits of a few pixels), which also scales ``gt_bboxes``.
"""
from typing import Optional, Tuple

from mmaction.datasets.transforms import Resize
from mmcv.transforms import BaseTransform
# transformers' own rule, from its torchvision-free (PIL) image processor
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import smart_resize

from mmstvg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class ResizeForMLLM(BaseTransform):
    """Resize the frames to the MLLM's patch grid within a pixel budget (module docstring).

    Required Keys:

    - imgs (list[np.ndarray]): N frames (H, W, 3).
    - img_shape (tuple[int, int]): (H, W).
    - gt_bboxes (np.ndarray, optional): (N, 4) boxes in the frames' pixels.

    Modified Keys:

    - imgs, img_shape, gt_bboxes; scale_factor (accumulated, as mmaction2's ``Resize``).

    Args:
        factor (int): sides are multiples of this (``patch_size * merge_size``). Defaults
            to 28 (Qwen2/2.5-VL; Qwen3-VL: 32).
        min_pixels (int): smallest frame area. Defaults to ``128 * 28 * 28`` (transformers'
            Qwen2-VL video processor).
        max_pixels (int): largest frame area. Defaults to ``768 * 28 * 28``.
        total_pixels (int, optional): budget of the whole clip (module docstring).
            Defaults to None.
        frame_factor (int): the temporal patch (frames per token group). Defaults to 2.
        interpolation (str): cv2 interpolation of mmaction2's ``Resize``. Defaults to
            'bicubic'.
    """

    def __init__(self,
                 factor: int = 28,
                 min_pixels: int = 128 * 28 * 28,
                 max_pixels: int = 768 * 28 * 28,
                 total_pixels: Optional[int] = None,
                 frame_factor: int = 2,
                 interpolation: str = 'bicubic') -> None:
        if min_pixels > max_pixels:
            raise ValueError(f'min_pixels {min_pixels} > max_pixels {max_pixels}')
        self.factor = int(factor)
        self.min_pixels = int(min_pixels)
        self.max_pixels = int(max_pixels)
        self.total_pixels = None if total_pixels is None else int(total_pixels)
        self.frame_factor = int(frame_factor)
        self.interpolation = interpolation

    def frame_budget(self, num_frames: int) -> int:
        """The per-frame pixel cap for a clip of ``num_frames`` frames."""
        if self.total_pixels is None:
            return self.max_pixels
        share = self.total_pixels * self.frame_factor // max(num_frames, 1)
        return max(min(self.max_pixels, share), int(self.min_pixels * 1.05))

    def target_shape(self, height: int, width: int, num_frames: int) -> Tuple[int, int]:
        """(H', W') of frames of ``height`` x ``width`` in a clip of ``num_frames``."""
        return smart_resize(height, width, self.factor, self.min_pixels,
                            self.frame_budget(num_frames))

    def transform(self, results: dict) -> dict:
        h, w = results['img_shape'][:2]
        new_h, new_w = self.target_shape(int(h), int(w), len(results['imgs']))
        results['modality'] = results.get('modality', 'RGB')
        if (new_h, new_w) == (h, w):
            return results
        return Resize(
            scale=(new_w, new_h), keep_ratio=False,
            interpolation=self.interpolation).transform(results)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(factor={self.factor}, min_pixels={self.min_pixels}, '
                f'max_pixels={self.max_pixels}, total_pixels={self.total_pixels}, '
                f'frame_factor={self.frame_factor}, interpolation={self.interpolation!r})')
