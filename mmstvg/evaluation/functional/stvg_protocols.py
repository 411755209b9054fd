"""Per-query scores and dataset aggregation under the three STVG protocols (pure numpy).

Inputs, in mmstvg conventions (0-based original frames, half-open spans, xyxy pixels):

- ``gt``: ``dict(span=(s, e), bboxes=(e - s, 4), clip=(cs, ce), fps=float,
  num_frames=int, sentence_type=str | None)``; ``bboxes[i]`` is the box of frame ``s + i``.
  ``clip`` and ``fps`` are only read by ``sampled``.
- ``pred``: ``dict(span=(s, e), frame_ids=(K,), bboxes=(K, 4))``, or None when the query has
  no prediction. Boxes at frames other than ``frame_ids`` are linearly interpolated
  (:func:`~.tube_interpolation.interpolate_tube_boxes`) in ``sampled`` and ``dense``;
  ``hcstvg_official`` uses exactly the frames that carry a box, as the challenge does.

Per query, with ``inter = pred ∩ gt`` and ``union = [min(start), max(end))``:

1. ``sampled`` (TubeDETR): ``F`` = the frames TubeDETR evaluates on
   (:func:`~.frame_sampling.tubedetr_sample_frames` over the clip; with
   ``tubedetr_clip=True`` over TubeDETR's clip, i.e. the mmstvg clip minus its last frame:
   HC-STVG ``[0, img_num - 1)``, VidSTG ``used_segment [begin_fid, end_fid)``).
   ``tIoU`` = |inter| / |union| in raw frames;
   ``vIoU = sum_{f in F ∩ inter} IoU(pred_f, gt_f) / |F ∩ union|`` (0 if ``F ∩ union`` is
   empty). This is TubeDETR's released evaluator (``datasets/vidstg_eval.py`` and
   ``hcstvg_eval.py``) since May 2022; its first release computed the union's end with
   ``min`` (a denominator stopping at the earlier end, which inflated vIoU; TubeDETR issue
   #3, corrected numbers published then).
2. ``dense`` (STCAT family): the same with ``F`` = every raw frame:
   ``vIoU = sum_{f in inter} IoU(pred_f, gt_f) / |union|``. The peers drop the last GT frame
   through an inclusive/exclusive mix-up; mmstvg counts every frame of the half-open GT span.
3. ``hcstvg_official`` (the challenge's ``eval_hcvg.py``): ``P`` = GT frames that carry a
   predicted box; ``all_frame = max(ed) - min(st) + 1`` with inclusive ends
   (``= max(gt_e, pred_e) - min(gt_s, pred_s)`` with half-open ends);
   ``vIoU = sum_{f in P} IoU / all_frame``, ``tIoU = |P| / all_frame``; a missing prediction
   scores 0 (in ``sampled`` / ``dense`` it is an error naming the query).

Dataset scores are plain means over queries; ``vIoU@R`` is the fraction of queries with
``vIoU > R`` (strictly greater, as every peer). When queries carry a ``sentence_type``, the
same keys are also reported per type, prefixed ``'<type>/'``.

Queries that cannot be scored are never dropped from the means: ``num_skipped`` queries
skipped as invalid before scoring (their GT was rejected by the dataset) count as failures
(tIoU = vIoU = 0) in the overall means (their sentence type is unknown, so the per-type
means cover the scored queries), and a query whose prediction is malformed
(``invalid_preds``) scores 0. :class:`~mmstvg.evaluation.STVGMetric` and
``tools/analysis_tools/eval_submission.py`` both aggregate here, so the same predictions get
the same scores from both.
"""
from collections import OrderedDict
from typing import Collection, Dict, List, Mapping, Optional, Sequence

import numpy as np

from mmstvg.structures.span import span_hull, span_intersection, temporal_iou
from .box_iou import elementwise_box_iou
from .frame_sampling import tubedetr_clip as _tubedetr_clip
from .frame_sampling import tubedetr_sample_frames
from .tube_interpolation import interpolate_tube_boxes, merge_tube_keyframes

PROTOCOLS = ('sampled', 'dense', 'hcstvg_official')


def _span(value, what: str, qid=None) -> tuple:
    arr = np.asarray(value).reshape(-1)
    if arr.shape[0] != 2:
        raise ValueError(f'query {qid!r}: {what} must be (start, end), got {value!r}')
    return int(arr[0]), int(arr[1])


def _gt_arrays(gt: Mapping, qid=None) -> tuple:
    """(start, end) and (end - start, 4) float64 boxes of a GT tube, checked."""
    if gt.get('span') is None:
        raise ValueError(f'query {qid!r} has no ground-truth span')
    start, end = _span(gt['span'], 'gt span', qid)
    boxes = np.asarray(gt['bboxes'], dtype=np.float64).reshape(-1, 4)
    if boxes.shape[0] != max(0, end - start):
        raise ValueError(f'query {qid!r}: the GT span [{start}, {end}) needs '
                         f'{max(0, end - start)} boxes, got {boxes.shape[0]}')
    return (start, end), boxes


def _pred_arrays(pred: Mapping, qid=None) -> tuple:
    """(start, end), (K,) int64 frame ids and (K, 4) float64 boxes of a predicted tube."""
    span = _span(pred['span'], 'pred span', qid)
    frame_ids = np.asarray(pred.get('frame_ids', []), dtype=np.int64).reshape(-1)
    boxes = np.asarray(pred.get('bboxes', np.zeros((0, 4))), dtype=np.float64).reshape(-1, 4)
    if frame_ids.shape[0] != boxes.shape[0]:
        raise ValueError(f'query {qid!r}: the prediction has {frame_ids.shape[0]} frame ids '
                         f'but {boxes.shape[0]} boxes')
    return span, frame_ids, boxes


def _ious_on_frames(frames: np.ndarray, gt_span: tuple, gt_boxes: np.ndarray, pred_ids: np.ndarray,
                    pred_boxes: np.ndarray) -> np.ndarray:
    """IoU of the (interpolated) predicted box and the GT box at each of ``frames`` (all in
    the GT span); 0 everywhere when the prediction has no box."""
    if frames.size == 0:
        return np.zeros(0, dtype=np.float64)
    if pred_ids.size == 0:
        return np.zeros(frames.size, dtype=np.float64)
    pred_at = interpolate_tube_boxes(pred_ids, pred_boxes, frames)
    return elementwise_box_iou(pred_at, gt_boxes[frames - gt_span[0]])


def eval_query_sampled(gt: Mapping,
                       pred: Mapping,
                       eval_fps: float = 5.0,
                       video_max_len: int = 200,
                       tubedetr_clip: bool = True,
                       qid=None) -> Dict[str, float]:
    """tIoU and vIoU of one query under the ``sampled`` (TubeDETR) protocol.

    Args:
        gt (Mapping): GT dict (module docstring); needs ``clip`` and ``fps``.
        pred (Mapping): prediction dict (module docstring).
        eval_fps (float): evaluation frame rate. Defaults to 5.
        video_max_len (int): cap on the evaluation frames per query. Defaults to 200.
        tubedetr_clip (bool): select the frames over TubeDETR's clip, the mmstvg clip minus
            its last frame (:func:`~.frame_sampling.tubedetr_clip`). Defaults to True.
        qid (optional): query id, for error messages.

    Returns:
        dict: ``tIoU`` and ``vIoU`` in [0, 1].
    """
    gt_span, gt_boxes = _gt_arrays(gt, qid)
    pred_span, pred_ids, pred_boxes = _pred_arrays(pred, qid)
    if gt.get('clip') is None or not gt.get('fps'):
        raise ValueError(f'query {qid!r}: the `sampled` protocol needs the GT `clip` and '
                         '`fps`')
    clip = _span(gt['clip'], 'clip', qid)
    if tubedetr_clip:
        clip = _tubedetr_clip(clip)
    frames = tubedetr_sample_frames(clip, float(gt['fps']), eval_fps, video_max_len)
    inter = span_intersection(pred_span, gt_span)
    union = span_hull(pred_span, gt_span)
    inter_frames = frames[(frames >= inter[0]) & (frames < inter[1])]
    num_union = int(np.count_nonzero((frames >= union[0]) & (frames < union[1])))
    ious = _ious_on_frames(inter_frames, gt_span, gt_boxes, pred_ids, pred_boxes)
    return dict(tIoU=temporal_iou(pred_span, gt_span), vIoU=float(ious.sum()) / max(num_union, 1))


def eval_query_dense(gt: Mapping, pred: Mapping, qid=None) -> Dict[str, float]:
    """tIoU and vIoU of one query under the ``dense`` (STCAT-family) protocol.

    Args:
        gt (Mapping): GT dict (module docstring).
        pred (Mapping): prediction dict (module docstring).
        qid (optional): query id, for error messages.

    Returns:
        dict: ``tIoU`` and ``vIoU`` in [0, 1].
    """
    gt_span, gt_boxes = _gt_arrays(gt, qid)
    pred_span, pred_ids, pred_boxes = _pred_arrays(pred, qid)
    inter = span_intersection(pred_span, gt_span)
    union = span_hull(pred_span, gt_span)
    inter_frames = np.arange(inter[0], max(inter[0], inter[1]), dtype=np.int64)
    ious = _ious_on_frames(inter_frames, gt_span, gt_boxes, pred_ids, pred_boxes)
    return dict(
        tIoU=temporal_iou(pred_span, gt_span),
        vIoU=float(ious.sum()) / max(union[1] - union[0], 1))


def eval_query_hcstvg_official(gt: Mapping, pred: Optional[Mapping], qid=None) -> Dict[str, float]:
    """tIoU and vIoU of one query as the HC-STVG challenge's ``eval_hcvg.py`` scores it.

    Only the frames that carry a predicted box count (no interpolation); a box outside the
    predicted span still counts, as in the official script.

    Args:
        gt (Mapping): GT dict (module docstring).
        pred (Mapping, optional): prediction dict; None scores 0.
        qid (optional): query id, for error messages.

    Returns:
        dict: ``tIoU`` and ``vIoU`` in [0, 1].
    """
    if pred is None:
        return dict(tIoU=0.0, vIoU=0.0)
    gt_span, gt_boxes = _gt_arrays(gt, qid)
    pred_span, pred_ids, pred_boxes = _pred_arrays(pred, qid)
    pred_ids, pred_boxes = merge_tube_keyframes(pred_ids, pred_boxes)
    in_gt = (pred_ids >= gt_span[0]) & (pred_ids < gt_span[1])
    ious = elementwise_box_iou(pred_boxes[in_gt], gt_boxes[pred_ids[in_gt] - gt_span[0]]) \
        if in_gt.any() else np.zeros(0, dtype=np.float64)
    union = span_hull(pred_span, gt_span)
    all_frame = max(union[1] - union[0], 1)
    return dict(tIoU=ious.size / float(all_frame), vIoU=float(ious.sum()) / all_frame)


def evaluate_query(gt: Mapping,
                   pred: Optional[Mapping],
                   protocol: str,
                   eval_fps: float = 5.0,
                   video_max_len: int = 200,
                   tubedetr_clip: bool = True,
                   qid=None) -> Dict[str, float]:
    """Score one query under ``protocol`` (see the module docstring).

    Raises:
        KeyError: ``pred`` is None under ``sampled`` / ``dense``.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f'unknown STVG protocol {protocol!r}; choose from {PROTOCOLS}')
    if protocol == 'hcstvg_official':
        return eval_query_hcstvg_official(gt, pred, qid=qid)
    if pred is None:
        raise KeyError(f'no prediction for query {qid!r} (protocol {protocol!r} does not '
                       'score a missing prediction as 0; only `hcstvg_official` does)')
    if protocol == 'dense':
        return eval_query_dense(gt, pred, qid=qid)
    return eval_query_sampled(
        gt,
        pred,
        eval_fps=eval_fps,
        video_max_len=video_max_len,
        tubedetr_clip=tubedetr_clip,
        qid=qid)


def _threshold_key(thr: float) -> str:
    return f'vIoU@{format(float(thr), "g")}'


def _mean_scores(results: Sequence[Mapping],
                 iou_thresholds: Sequence[float],
                 num_failures: int = 0) -> dict:
    """Means over ``results`` plus ``num_failures`` queries scoring 0."""
    zeros = np.zeros(num_failures, dtype=np.float64)
    tious = np.concatenate([np.array([r['tIoU'] for r in results], dtype=np.float64), zeros])
    vious = np.concatenate([np.array([r['vIoU'] for r in results], dtype=np.float64), zeros])
    out = OrderedDict(m_tIoU=float(tious.mean()), m_vIoU=float(vious.mean()))
    for thr in iou_thresholds:
        out[_threshold_key(thr)] = float(np.mean(vious > float(thr)))
    return out


def aggregate_stvg_results(results: Sequence[Mapping],
                           iou_thresholds: Sequence[float] = (0.3, 0.5),
                           num_skipped: int = 0,
                           skipped_as_failures: bool = True) -> 'OrderedDict':
    """Dataset scores from per-query scores.

    Args:
        results (Sequence[Mapping]): one dict per scored query with ``tIoU``, ``vIoU`` and
            optionally ``sentence_type``.
        iou_thresholds (Sequence[float]): ``R`` of ``vIoU@R`` (counts ``vIoU > R``).
            Defaults to (0.3, 0.5).
        num_skipped (int): queries skipped as invalid before scoring (not in ``results``).
            Defaults to 0.
        skipped_as_failures (bool): the skipped queries score 0 in the overall means
            (m_tIoU, m_vIoU, vIoU@R over scored + skipped queries); per-sentence-type means
            cover the scored queries only (a skipped query's type is unknown). False: means
            over the scored queries only. Defaults to True.

    Returns:
        OrderedDict: ``m_tIoU``, ``m_vIoU``, ``vIoU@R`` ... over all queries, then the same
        keys prefixed ``'<sentence_type>/'`` for every sentence type present (sorted); when
        ``num_skipped > 0`` also ``num_queries`` (scored) and ``num_skipped``.

    Raises:
        ValueError: no query was scored.
    """
    if len(results) == 0:
        raise ValueError('no valid query left to score' +
                         (f' ({num_skipped} skipped as invalid)' if num_skipped else ''))
    metrics = _mean_scores(results, iou_thresholds, num_skipped if skipped_as_failures else 0)
    types = sorted({r.get('sentence_type') for r in results if r.get('sentence_type')})
    for stype in types:
        group = [r for r in results if r.get('sentence_type') == stype]
        for key, value in _mean_scores(group, iou_thresholds).items():
            metrics[f'{stype}/{key}'] = value
    if num_skipped:
        metrics['num_queries'] = len(results)
        metrics['num_skipped'] = int(num_skipped)
    return metrics


def evaluate_stvg(gts: Mapping,
                  preds: Mapping,
                  protocol: str = 'sampled',
                  eval_fps: float = 5.0,
                  video_max_len: int = 200,
                  iou_thresholds: Sequence[float] = (0.3, 0.5),
                  tubedetr_clip: bool = True,
                  invalid_preds: Collection = (),
                  num_skipped: int = 0,
                  skipped_as_failures: bool = True) -> tuple:
    """Score every GT query against its prediction and aggregate.

    Args:
        gts (Mapping): ``{qid: gt dict}``; every query in it is scored.
        preds (Mapping): ``{qid: pred dict}``; extra qids are ignored. A missing qid is an
            error under ``sampled`` / ``dense`` and scores 0 under ``hcstvg_official``.
        protocol (str): one of :data:`PROTOCOLS`. Defaults to 'sampled'.
        eval_fps (float): ``sampled`` only. Defaults to 5.
        video_max_len (int): ``sampled`` only. Defaults to 200.
        iou_thresholds (Sequence[float]): ``R`` of ``vIoU@R``. Defaults to (0.3, 0.5).
        tubedetr_clip (bool): ``sampled`` only, see :func:`eval_query_sampled`.
            Defaults to True.
        invalid_preds (Collection): qids whose prediction was malformed (and is not in
            ``preds``): they score tIoU = vIoU = 0 under every protocol (a failure, counted
            in the per-type means too). Defaults to ().
        num_skipped (int): queries skipped as invalid before scoring (not in ``gts``), see
            :func:`aggregate_stvg_results`. Defaults to 0.
        skipped_as_failures (bool): see :func:`aggregate_stvg_results`. Defaults to True.

    Returns:
        tuple[OrderedDict, list[dict]]: the dataset metrics
        (:func:`aggregate_stvg_results`) and the per-query scores (``qid``,
        ``sentence_type``, ``tIoU``, ``vIoU``, and ``invalid_prediction=True`` for the
        queries of ``invalid_preds``) in the order of ``gts``.
    """
    invalid_preds = set(invalid_preds)
    per_query: List[dict] = []
    for qid, gt in gts.items():
        if qid in invalid_preds:
            per_query.append(
                dict(
                    qid=qid,
                    sentence_type=gt.get('sentence_type'),
                    tIoU=0.0,
                    vIoU=0.0,
                    invalid_prediction=True))
            continue
        scores = evaluate_query(
            gt,
            preds.get(qid),
            protocol,
            eval_fps=eval_fps,
            video_max_len=video_max_len,
            tubedetr_clip=tubedetr_clip,
            qid=qid)
        per_query.append(dict(qid=qid, sentence_type=gt.get('sentence_type'), **scores))
    metrics = aggregate_stvg_results(
        per_query,
        iou_thresholds,
        num_skipped=num_skipped,
        skipped_as_failures=skipped_as_failures)
    return metrics, per_query
