"""Pack the pipeline's results into ``inputs`` + :class:`STVGDataSample` (``docs/data_flow.md``).

``inputs``: ``imgs`` uint8 (N, 3, H, W) and/or ``features`` float32 (N, D), plus ``text``
(``input_ids``, ``attention_mask``, (L,) int64) when tokenised. The data sample carries the
metainfo (``meta_keys`` present in the results) and, when the query has GT, ``gt_tube``:
``span`` (2,), ``bboxes`` (end - start, 4) ORIGINAL tube, ``frame_bboxes`` (N, 4) in the
pipeline's pixels and ``frame_in_span`` (N,) (the last two when ``LoadTubeTargets`` ran).
"""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import BaseDataElement

from mmstvg.registry import TRANSFORMS
from mmstvg.structures import STVGDataSample

DEFAULT_META_KEYS = ('qid', 'video_name', 'filename', 'sentence', 'sentence_type', 'num_frames',
                     'fps', 'ori_shape', 'img_shape', 'clip', 'frame_inds', 'num_passes',
                     'pass_pad_frames', 'flip', 'flip_direction', 'scale_factor', 'crop_bbox',
                     'height', 'width', 'frame_times', 'time_origin', 'sample_rate')


@TRANSFORMS.register_module()
class PackSTVGInputs(BaseTransform):
    """Pack inputs and the data sample.

    Required Keys:

    - imgs (list[np.ndarray] or np.ndarray, optional): N frames (H, W, 3) uint8.
    - features (np.ndarray, optional): (N, D). At least one of ``imgs``/``features``.
    - text_input_ids, text_attention_mask (np.ndarray, optional): (L,) from ``TokenizeText``.
    - gt_span, gt_tube_bboxes / gt_bboxes, frame_in_span (optional): GT (see
      ``LoadTubeTargets``).
    - original_shape or (height, width): the original frame size, packed as ``ori_shape``.
    - the ``meta_keys`` (those present are packed).

    Added Keys:

    - inputs (dict), data_samples (:class:`STVGDataSample`).

    Args:
        meta_keys (Sequence[str]): keys copied to the metainfo when present. ``ori_shape``
            is taken from ``original_shape`` (decoders) or ``(height, width)``;
            ``img_shape`` defaults to ``ori_shape`` (feature pipelines).
        require_inputs (bool): raise when neither ``imgs`` nor ``features`` is present (a
            forgotten decode transform). False only for predictors that read no input, such
            as ``TrivialGrounder``. Defaults to True.
    """

    def __init__(self,
                 meta_keys: Sequence[str] = DEFAULT_META_KEYS,
                 require_inputs: bool = True) -> None:
        self.meta_keys = tuple(meta_keys)
        self.require_inputs = require_inputs

    @staticmethod
    def _pack_imgs(imgs) -> torch.Tensor:
        """(N, H, W, 3) frames -> uint8 tensor (N, 3, H, W)."""
        if isinstance(imgs, (list, tuple)):
            imgs = np.stack([np.asarray(img) for img in imgs])
        imgs = np.asarray(imgs)
        if imgs.ndim != 4 or imgs.shape[-1] != 3:
            raise ValueError(f'PackSTVGInputs: expected N frames of (H, W, 3), got array '
                             f'{imgs.shape}.')
        if imgs.dtype != np.uint8:
            imgs = np.clip(np.rint(imgs), 0, 255).astype(np.uint8)
        return torch.from_numpy(np.ascontiguousarray(imgs.transpose(0, 3, 1, 2)))

    def _metainfo(self, results: dict) -> dict:
        meta = {}
        if 'original_shape' in results:
            meta['ori_shape'] = tuple(int(v) for v in results['original_shape'][:2])
        elif 'height' in results and 'width' in results:
            meta['ori_shape'] = (int(results['height']), int(results['width']))
        for key in self.meta_keys:
            if key in results and key not in meta:
                value = results[key]
                if key in ('img_shape', 'clip'):
                    value = tuple(int(v) for v in value)
                elif key == 'frame_inds':
                    value = np.asarray(value, dtype=np.int64)
                elif key == 'frame_times':
                    value = np.asarray(value, dtype=np.float64)
                elif key == 'flip':
                    value = bool(value)
                meta[key] = value
        if 'ori_shape' in meta:
            meta.setdefault('img_shape', meta['ori_shape'])
        return meta

    @staticmethod
    def _gt_tube(results: dict) -> BaseDataElement:
        span = results['gt_span']
        gt = BaseDataElement(span=torch.as_tensor([int(span[0]), int(span[1])], dtype=torch.long))
        if 'frame_in_span' in results:  # LoadTubeTargets ran
            gt.bboxes = torch.from_numpy(
                np.asarray(results['gt_tube_bboxes'], dtype=np.float32).reshape(-1, 4))
            gt.frame_bboxes = torch.from_numpy(
                np.asarray(results['gt_bboxes'], dtype=np.float32).reshape(-1, 4))
            gt.frame_in_span = torch.from_numpy(np.asarray(results['frame_in_span'], dtype=bool))
        else:
            gt.bboxes = torch.from_numpy(
                np.asarray(results['gt_bboxes'], dtype=np.float32).reshape(-1, 4))
        return gt

    def transform(self, results: dict) -> dict:
        """Pack ``inputs`` and ``data_samples``.

        Args:
            results (dict): the result dict.

        Returns:
            dict: ``dict(inputs=..., data_samples=STVGDataSample)``.
        """
        inputs = {}
        if results.get('imgs') is not None:
            inputs['imgs'] = self._pack_imgs(results['imgs'])
        if results.get('features') is not None:
            inputs['features'] = torch.from_numpy(
                np.ascontiguousarray(results['features'], dtype=np.float32))
        if not inputs and self.require_inputs:
            raise KeyError(f'PackSTVGInputs: query {results.get("qid")!r} has neither '
                           '`imgs` nor `features` (missing decode/feature transform?).')
        if 'text_input_ids' in results:
            inputs['text'] = dict(
                input_ids=torch.as_tensor(np.asarray(results['text_input_ids']), dtype=torch.long),
                attention_mask=torch.as_tensor(
                    np.asarray(results['text_attention_mask']), dtype=torch.long))

        sample = STVGDataSample(metainfo=self._metainfo(results))
        if results.get('gt_span') is not None and results.get('gt_bboxes') is not None:
            sample.gt_tube = self._gt_tube(results)
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(meta_keys={self.meta_keys}, '
                f'require_inputs={self.require_inputs})')
