"""A tube: a span of original frames and the boxes of some of its frames (pure numpy).

The one place where a tube is converted (data-sample element, dict, annotation ``data_info``),
its repeated frames merged, its boxes interpolated and densified; the grounders (the
predicted tube), the metric and its protocols, the submission file
(``mmstvg.evaluation.functional.submission``, which owns the 1-based conversion of the
challenge format), ``tools/analysis_tools/eval_submission.py`` and the visualisation all use it.

Conventions (``docs/data_flow.md``): frames are 0-based indices of the ORIGINAL video; the
span ``(start, end)`` is half-open; boxes are absolute ``xyxy`` pixels of the original video
(float64 here).

- A GT tube has one box per frame of its span (``frame_ids = start, ..., end - 1``, the
  default when ``frame_ids`` is not given); a predicted tube has boxes at the frames the model
  predicted. Nothing requires them to lie inside the span (the ``hcstvg_official`` protocol
  scores a box outside the predicted span, as the challenge does).
- The box at another frame ``f`` is the linear interpolation, coordinate by coordinate,
  between the two frames with a box around ``f``; before the first / after the last of them
  the nearest box is held (``np.interp`` semantics). At a frame with a box the box is returned
  unchanged.
- Repeated frame ids (multi-pass sampling repeats frames when passes x T exceeds the clip)
  are merged by averaging their boxes.

Pure numpy: tensors are accepted (converted with ``.detach().cpu().numpy()``) and torch is
imported only by :meth:`Tube.to_element` (the data sample holds tensors), so the evaluation
code can use this module without torch.
"""
from typing import Any, Optional, Sequence, Tuple

import numpy as np


def _to_numpy(value: Any) -> np.ndarray:
    if hasattr(value, 'detach'):  # a torch tensor, without importing torch
        value = value.detach().cpu()
        if str(value.dtype) == 'torch.bfloat16':  # no numpy dtype (outputs of bf16 autocast)
            value = value.float()
        value = value.numpy()
    return np.asarray(value)


def _field(element: Any, key: str) -> Any:
    """``element[key]`` of a mapping or ``element.key`` of a data element, else None."""
    if hasattr(element, 'get'):  # dict, BaseDataElement
        return element.get(key, None)
    return getattr(element, key, None)


def merge_repeated_frames(frame_ids, bboxes) -> Tuple[np.ndarray, np.ndarray]:
    """Sort the frames and average the boxes of repeated frame ids.

    Args:
        frame_ids (array-like): (K,) original frame indices, any order, maybe repeated.
        bboxes (array-like): (K, 4) xyxy boxes.

    Returns:
        tuple[np.ndarray, np.ndarray]: (K',) sorted unique int64 frame ids and their (K', 4)
        float64 (mean) boxes.
    """
    frame_ids = _to_numpy(frame_ids).astype(np.int64).reshape(-1)
    bboxes = _to_numpy(bboxes).astype(np.float64).reshape(-1, 4)
    if frame_ids.shape[0] != bboxes.shape[0]:
        raise ValueError(f'a tube needs one box per frame id, got {frame_ids.shape[0]} '
                         f'frame ids and {bboxes.shape[0]} boxes')
    if frame_ids.shape[0] < 2 or (frame_ids[1:] > frame_ids[:-1]).all():
        return frame_ids, bboxes  # sorted and unique already (a submission's, a GT tube's)
    uniq, inverse, counts = np.unique(frame_ids, return_inverse=True, return_counts=True)
    if uniq.shape[0] == frame_ids.shape[0]:
        order = np.argsort(frame_ids, kind='stable')
        return frame_ids[order], bboxes[order]
    summed = np.zeros((uniq.shape[0], 4), dtype=np.float64)
    np.add.at(summed, inverse.reshape(-1), bboxes)
    return uniq, summed / counts[:, None]


def interpolate_boxes(frame_ids, bboxes, frames) -> np.ndarray:
    """Boxes at ``frames`` of the boxes given at ``frame_ids`` (linear, ends held; repeated
    frame ids averaged, see the module docstring).

    Args:
        frame_ids (array-like): (K,) frames that carry a box (K >= 1).
        bboxes (array-like): (K, 4) xyxy boxes at those frames.
        frames (array-like): (Q,) frames where boxes are wanted.

    Returns:
        np.ndarray: (Q, 4) float64 xyxy boxes.
    """
    keys, boxes = merge_repeated_frames(frame_ids, bboxes)
    query = np.asarray(frames, dtype=np.float64).reshape(-1)
    if keys.shape[0] == 0:
        raise ValueError('cannot interpolate a tube without any box')
    out = np.empty((query.shape[0], 4), dtype=np.float64)
    for c in range(4):
        out[:, c] = np.interp(query, keys.astype(np.float64), boxes[:, c])
    return out


class Tube:
    """A span of original frames and the boxes of some frames (see the module docstring).

    Args:
        span (Sequence[int]): half-open ``(start, end)`` in original frames.
        frame_ids (array-like, optional): (K,) frames that carry a box. Defaults to None:
            ``start, start + 1, ...``, one per box (a GT tube).
        bboxes (array-like, optional): (K, 4) xyxy boxes in original pixels. Defaults to
            None: no box.

    Attributes:
        span (tuple[int, int]): ``(start, end)``.
        frame_ids (np.ndarray): (K,) int64, in the given order (:meth:`merge_repeated` sorts).
        bboxes (np.ndarray): (K, 4) float64.
    """

    __slots__ = ('span', 'frame_ids', 'bboxes')

    def __init__(self, span: Sequence[int], frame_ids=None, bboxes=None) -> None:
        span = _to_numpy(span).reshape(-1)
        if span.shape[0] != 2:
            raise ValueError(f'a tube span must be (start, end), got {span.tolist()}')
        self.span: Tuple[int, int] = (int(span[0]), int(span[1]))
        bboxes = np.zeros((0, 4)) if bboxes is None else _to_numpy(bboxes)
        self.bboxes: np.ndarray = bboxes.astype(np.float64).reshape(-1, 4)
        if frame_ids is None:
            frame_ids = self.span[0] + np.arange(self.bboxes.shape[0])
        self.frame_ids: np.ndarray = _to_numpy(frame_ids).astype(np.int64).reshape(-1)
        if self.frame_ids.shape[0] != self.bboxes.shape[0]:
            raise ValueError(f'a tube needs one box per frame id, got {self.frame_ids.shape[0]} '
                             f'frame ids and {self.bboxes.shape[0]} boxes')

    # ------------------------------------------------------------------ conversions
    @classmethod
    def from_element(cls, element: Any) -> Optional['Tube']:
        """The tube of a ``gt_tube`` / ``pred_tube`` data element, or of a dict (or any
        mapping) with the same keys, tensors or arrays.

        Args:
            element: with ``span`` (2,), ``bboxes`` (K, 4) and optionally ``frame_ids`` (K,)
                (absent on a GT tube: one box per frame of the span); a :class:`Tube` is
                returned as is.

        Returns:
            Tube or None: None when ``element`` is None or has no ``span``.
        """
        if element is None or isinstance(element, Tube):
            return element
        span = _field(element, 'span')
        if span is None:
            return None
        return cls(span, _field(element, 'frame_ids'), _field(element, 'bboxes'))

    @classmethod
    def from_data_info(cls, info: dict) -> Optional['Tube']:
        """The GT tube of a dataset's ``data_info`` (``gt_span``, ``gt_bboxes``; see
        ``docs/data_flow.md``), or None on a split without ground truth."""
        if info.get('gt_span') is None:
            return None
        return cls(info['gt_span'], bboxes=info.get('gt_bboxes'))

    def to_dict(self) -> dict:
        """``dict(span, frame_ids, bboxes)`` (a tuple and numpy arrays)."""
        return dict(span=self.span, frame_ids=self.frame_ids, bboxes=self.bboxes)

    def to_element(self, score: Optional[float] = None):
        """The data element of this tube (``pred_tube`` / ``gt_tube`` of an
        :class:`~mmstvg.structures.STVGDataSample`).

        Args:
            score (float, optional): the tube's confidence, stored as ``score``.

        Returns:
            BaseDataElement: ``span`` LongTensor (2,), ``frame_ids`` LongTensor (K,),
            ``bboxes`` FloatTensor (K, 4) (float32) and ``score`` when given.
        """
        import torch  # only here: the rest of the module is torch-free
        from mmengine.structures import BaseDataElement
        element = BaseDataElement(
            span=torch.tensor(self.span, dtype=torch.long),
            frame_ids=torch.from_numpy(self.frame_ids.copy()),
            bboxes=torch.from_numpy(self.bboxes.astype(np.float32)))
        if score is not None:
            element.score = float(score)
        return element

    # ------------------------------------------------------------------ operations
    def merge_repeated(self) -> 'Tube':
        """The same tube with sorted, unique frames (boxes of a repeated frame averaged)."""
        return Tube(self.span, *merge_repeated_frames(self.frame_ids, self.bboxes))

    def interpolate(self, frames) -> np.ndarray:
        """Boxes at ``frames`` (Q,): (Q, 4) float64, linear between the frames with a box and
        held at the ends (module docstring). Raises ValueError when the tube has no box."""
        return interpolate_boxes(self.frame_ids, self.bboxes, frames)

    def densify(self) -> 'Tube':
        """One box for every frame of the span (what a submission file holds).

        Returns:
            Tube: frames ``start, ..., end - 1`` with their (interpolated) boxes; no box when
            the span is empty or the tube has no box.
        """
        frames = np.arange(self.span[0], max(self.span[0], self.span[1]), dtype=np.int64)
        if frames.size == 0 or self.frame_ids.size == 0:
            return Tube(self.span)
        return Tube(self.span, frames, self.interpolate(frames))

    def __repr__(self) -> str:
        return f'Tube(span={self.span}, {self.frame_ids.shape[0]} boxes)'
