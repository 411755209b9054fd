"""Per-sampled-frame box targets from the dataset's GT tube.

Run it after ``SampleSTVGFrames`` (it reads ``frame_inds``) and BEFORE any spatial transform:
mmaction2's ``Resize``/crops/``Flip`` update whatever sits under ``gt_bboxes``, which must by
then be the (N, 4) per-sampled-frame boxes, while the original tube (what the metric scores)
is kept, untouched, under ``gt_tube_bboxes``. On a split without GT it removes the ``None``
``gt_bboxes`` so that the spatial transforms (which test ``'gt_bboxes' in results``) skip it.
"""
import numpy as np
from mmcv.transforms import BaseTransform

from mmstvg.registry import TRANSFORMS

# keys that the spatial transforms write: their presence means one already ran
_SPATIAL_KEYS = ('scale_factor', 'crop_bbox', 'flip')


@TRANSFORMS.register_module()
class LoadTubeTargets(BaseTransform):
    """Build ``gt_bboxes`` (N, 4) and ``frame_in_span`` (N,) for the sampled frames.

    Required Keys:

    - frame_inds (np.ndarray): (N,) original frame indices.
    - gt_span (tuple[int, int] or None): GT ``[start, end)`` in original frames.
    - gt_bboxes (np.ndarray or None): (end - start, 4) GT xyxy boxes in original pixels,
      one per frame of the span.

    Modified Keys:

    - gt_bboxes: (N, 4) float32 xyxy of the sampled frames (original pixels until a spatial
      transform updates them); zeros for frames outside the span. Removed when there is no
      GT.
    - gt_span: ``(int, int)`` (or None, kept).

    Added Keys (only when GT exists):

    - gt_tube_bboxes (np.ndarray): (end - start, 4) float32, the original GT tube.
    - frame_in_span (np.ndarray): (N,) bool, whether each sampled frame is in the span.

    Args:
        check_before_spatial (bool): raise if a spatial transform (one that writes
            ``scale_factor``/``crop_bbox``/``flip``) already ran, since it would have
            changed the original boxes. Defaults to True.
    """

    def __init__(self, check_before_spatial: bool = True) -> None:
        self.check_before_spatial = check_before_spatial

    def transform(self, results: dict) -> dict:
        """Build the per-frame targets.

        Args:
            results (dict): the result dict.

        Returns:
            dict: the result dict.
        """
        qid = results.get('qid')
        span = results.get('gt_span')
        boxes = results.get('gt_bboxes')
        if span is None or boxes is None:
            if (span is None) != (boxes is None):
                raise ValueError(f'LoadTubeTargets: query {qid!r} has only one of '
                                 '`gt_span` and `gt_bboxes`.')
            results.pop('gt_bboxes', None)
            results['gt_span'] = None
            return results
        if 'gt_tube_bboxes' in results:
            raise RuntimeError(f'LoadTubeTargets: applied twice to query {qid!r}.')
        if self.check_before_spatial:
            done = [k for k in _SPATIAL_KEYS if k in results]
            if done:
                raise RuntimeError(
                    f'LoadTubeTargets must run before spatial transforms (found {done}): '
                    'they would have rescaled the original GT boxes.')

        start, end = int(span[0]), int(span[1])
        boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
        if end <= start or boxes.shape[0] != end - start:
            raise ValueError(f'LoadTubeTargets: query {qid!r}: gt_span [{start}, {end}) '
                             f'does not match gt_bboxes of {boxes.shape[0]} rows.')
        frame_inds = np.asarray(results['frame_inds'], dtype=np.int64).reshape(-1)
        in_span = (frame_inds >= start) & (frame_inds < end)
        frame_boxes = np.zeros((frame_inds.shape[0], 4), dtype=np.float32)
        frame_boxes[in_span] = boxes[frame_inds[in_span] - start]

        results['gt_span'] = (start, end)
        results['gt_tube_bboxes'] = boxes.copy()
        results['gt_bboxes'] = frame_boxes
        results['frame_in_span'] = in_span
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(check_before_spatial={self.check_before_spatial})'
