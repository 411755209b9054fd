"""Per-query scores of the three STVG protocols and the dataset aggregation (pure numpy).

A protocol is an object of the registry ``EVAL_PROTOCOLS`` (``mmstvg/evaluation/protocols``,
one file each: its parameters, whether a missing prediction scores 0, what it does to a
model's prediction before scoring); :func:`build_protocol` makes one of a name or a config
dict, for :class:`~mmstvg.evaluation.STVGMetric` and ``eval_submission.py`` alike. The
functions here are the numpy kernels of the three built-in protocols, and the loop over
queries with its aggregation, which every protocol shares.

Inputs, in mmstvg conventions (0-based original frames, half-open spans, xyxy pixels):

- ``gt``: ``dict(span=(s, e), bboxes=(e - s, 4), clip=(cs, ce), fps=float,
  num_frames=int, sentence_type=str | None)`` (:func:`query_gt`); ``bboxes[i]`` is the box
  of frame ``s + i``. ``clip`` and ``fps`` are only read by ``sampled``.
- ``pred``: a :class:`~mmstvg.structures.Tube`, or a dict ``dict(span=(s, e),
  frame_ids=(K,), bboxes=(K, 4))``, or None when the query has no prediction. Boxes at frames
  other than ``frame_ids`` are linearly interpolated
  (:meth:`~mmstvg.structures.Tube.interpolate`) in ``sampled`` and ``dense``;
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
import inspect
import warnings
from collections import OrderedDict
from typing import Any, Collection, Dict, List, Mapping, Sequence

import numpy as np

from mmstvg.registry import EVAL_PROTOCOLS
from mmstvg.structures.span import span_hull, span_intersection, temporal_iou
from mmstvg.structures.tube import Tube
from .box_iou import elementwise_box_iou
from .frame_sampling import tubedetr_clip as _tubedetr_clip
from .frame_sampling import tubedetr_sample_frames


def _span(value, what: str, qid=None) -> tuple:
    arr = np.asarray(value).reshape(-1)
    if arr.shape[0] != 2:
        raise ValueError(f'query {qid!r}: {what} must be (start, end), got {value!r}')
    return int(arr[0]), int(arr[1])


def query_gt(tube: Tube, info: Mapping) -> dict:
    """The ``gt`` input of the protocols (module docstring) of one query.

    Args:
        tube (Tube): the query's GT tube (one box per frame of its span).
        info (Mapping): the query's ``clip``, ``fps``, ``num_frames`` and ``sentence_type``
            (a dataset's ``data_info``, or a data sample as a dict).

    Returns:
        dict: ``span``, ``bboxes``, ``clip`` (tuple or None), ``fps`` (float or None),
        ``num_frames`` and ``sentence_type``.
    """
    clip, fps = info.get('clip'), info.get('fps')
    return dict(
        span=tube.span,
        bboxes=tube.bboxes,
        clip=None if clip is None else tuple(int(v) for v in np.asarray(clip).reshape(-1)),
        fps=None if fps is None else float(fps),
        num_frames=info.get('num_frames'),
        sentence_type=info.get('sentence_type'))


def _gt_tube(gt: Mapping, qid=None) -> Tube:
    """The GT tube of a ``gt`` dict, checked: one box per frame of its span."""
    if gt.get('span') is None:
        raise ValueError(f'query {qid!r} has no ground-truth span')
    tube = Tube(_span(gt['span'], 'gt span', qid), bboxes=gt['bboxes'])
    start, end = tube.span
    if tube.bboxes.shape[0] != max(0, end - start):
        raise ValueError(f'query {qid!r}: the GT span [{start}, {end}) needs '
                         f'{max(0, end - start)} boxes, got {tube.bboxes.shape[0]}')
    return tube


def _pred_tube(pred: Any, qid=None) -> Tube:
    """The predicted tube of a ``pred`` (a :class:`Tube` or a dict), checked."""
    try:
        tube = Tube.from_element(pred)
    except ValueError as err:
        raise ValueError(f'query {qid!r}: the prediction: {err}') from None
    if tube is None:
        raise ValueError(f'query {qid!r}: the prediction has no span')
    return tube


def _ious_on_frames(frames: np.ndarray, gt: Tube, pred: Tube) -> np.ndarray:
    """IoU of the (interpolated) predicted box and the GT box at each of ``frames`` (all in
    the GT span); 0 everywhere when the prediction has no box."""
    if frames.size == 0:
        return np.zeros(0, dtype=np.float64)
    if pred.frame_ids.size == 0:
        return np.zeros(frames.size, dtype=np.float64)
    return elementwise_box_iou(pred.interpolate(frames), gt.bboxes[frames - gt.span[0]])


def eval_query_sampled(gt: Mapping,
                       pred: Any,
                       eval_fps: float = 5.0,
                       video_max_len: int = 200,
                       tubedetr_clip: bool = True,
                       qid=None) -> Dict[str, float]:
    """tIoU and vIoU of one query under the ``sampled`` (TubeDETR) protocol.

    Args:
        gt (Mapping): GT dict (module docstring); needs ``clip`` and ``fps``.
        pred (Tube | Mapping): the prediction (module docstring).
        eval_fps (float): evaluation frame rate. Defaults to 5.
        video_max_len (int): cap on the evaluation frames per query. Defaults to 200.
        tubedetr_clip (bool): select the frames over TubeDETR's clip, the mmstvg clip minus
            its last frame (:func:`~.frame_sampling.tubedetr_clip`). Defaults to True.
        qid (optional): query id, for error messages.

    Returns:
        dict: ``tIoU`` and ``vIoU`` in [0, 1].
    """
    gt_tube, pred_tube = _gt_tube(gt, qid), _pred_tube(pred, qid)
    if gt.get('clip') is None or not gt.get('fps'):
        raise ValueError(f'query {qid!r}: the `sampled` protocol needs the GT `clip` and '
                         '`fps`')
    clip = _span(gt['clip'], 'clip', qid)
    if tubedetr_clip:
        clip = _tubedetr_clip(clip)
    frames = tubedetr_sample_frames(clip, float(gt['fps']), eval_fps, video_max_len)
    inter = span_intersection(pred_tube.span, gt_tube.span)
    union = span_hull(pred_tube.span, gt_tube.span)
    inter_frames = frames[(frames >= inter[0]) & (frames < inter[1])]
    num_union = int(np.count_nonzero((frames >= union[0]) & (frames < union[1])))
    ious = _ious_on_frames(inter_frames, gt_tube, pred_tube)
    return dict(
        tIoU=temporal_iou(pred_tube.span, gt_tube.span),
        vIoU=float(ious.sum()) / max(num_union, 1))


def eval_query_dense(gt: Mapping, pred: Any, qid=None) -> Dict[str, float]:
    """tIoU and vIoU of one query under the ``dense`` (STCAT-family) protocol.

    Args:
        gt (Mapping): GT dict (module docstring).
        pred (Tube | Mapping): the prediction (module docstring).
        qid (optional): query id, for error messages.

    Returns:
        dict: ``tIoU`` and ``vIoU`` in [0, 1].
    """
    gt_tube, pred_tube = _gt_tube(gt, qid), _pred_tube(pred, qid)
    inter = span_intersection(pred_tube.span, gt_tube.span)
    union = span_hull(pred_tube.span, gt_tube.span)
    inter_frames = np.arange(inter[0], max(inter[0], inter[1]), dtype=np.int64)
    ious = _ious_on_frames(inter_frames, gt_tube, pred_tube)
    return dict(
        tIoU=temporal_iou(pred_tube.span, gt_tube.span),
        vIoU=float(ious.sum()) / max(union[1] - union[0], 1))


def eval_query_hcstvg_official(gt: Mapping, pred: Any, qid=None) -> Dict[str, float]:
    """tIoU and vIoU of one query as the HC-STVG challenge's ``eval_hcvg.py`` scores it.

    Only the frames that carry a predicted box count (no interpolation); a box outside the
    predicted span still counts, as in the official script.

    Args:
        gt (Mapping): GT dict (module docstring).
        pred (Tube | Mapping, optional): the prediction; None scores 0.
        qid (optional): query id, for error messages.

    Returns:
        dict: ``tIoU`` and ``vIoU`` in [0, 1].
    """
    if pred is None:
        return dict(tIoU=0.0, vIoU=0.0)
    gt_tube, pred_tube = _gt_tube(gt, qid), _pred_tube(pred, qid).merge_repeated()
    (gt_start, gt_end), pred_ids = gt_tube.span, pred_tube.frame_ids
    in_gt = (pred_ids >= gt_start) & (pred_ids < gt_end)
    ious = np.zeros(0, dtype=np.float64)
    if in_gt.any():
        ious = elementwise_box_iou(pred_tube.bboxes[in_gt],
                                   gt_tube.bboxes[pred_ids[in_gt] - gt_start])
    union = span_hull(pred_tube.span, gt_tube.span)
    all_frame = max(union[1] - union[0], 1)
    return dict(tIoU=ious.size / float(all_frame), vIoU=float(ious.sum()) / all_frame)


def protocol_names() -> List[str]:
    """The names of the registered protocols (``EVAL_PROTOCOLS``), sorted."""
    EVAL_PROTOCOLS.import_from_location()
    return sorted(EVAL_PROTOCOLS.module_dict)


def build_protocol(protocol: Any, **params) -> Any:
    """The protocol object of a name, a config dict or a protocol object.

    Args:
        protocol (str | dict | BaseProtocol): a registered name (``'sampled'``, with its
            default parameters), a config (``dict(type='sampled', eval_fps=2)``) or a built
            protocol (returned as is).
        **params: parameters given apart from the config (``STVGMetric``'s deprecated
            ``eval_fps`` / ``video_max_len`` / ``tubedetr_clip``, ``eval_submission.py``'s
            ``--eval-fps`` ... flags): each overrides the config's value when the protocol
            takes it and is ignored with a warning when it does not (``eval_fps`` means
            nothing to ``dense``).

    Returns:
        BaseProtocol: the protocol (``mmstvg.evaluation.protocols``).

    Raises:
        ValueError: no protocol is registered under that name.
    """
    if not isinstance(protocol, (str, Mapping)):
        if params:
            raise TypeError(f'parameters {sorted(params)} need a protocol name or config, '
                            f'not the built {protocol!r}')
        return protocol
    cfg = dict(type=protocol) if isinstance(protocol, str) else dict(protocol)
    name = cfg.get('type')
    cls = EVAL_PROTOCOLS.get(name) if isinstance(name, str) else name
    if cls is None:
        raise ValueError(f'unknown STVG protocol {name!r}; choose from {protocol_names()}')
    accepted = inspect.signature(cls).parameters
    takes_any = any(p.kind is p.VAR_KEYWORD for p in accepted.values())

    def unknown(keys) -> List[str]:
        return sorted(k for k in keys if k != 'type' and not takes_any and k not in accepted)

    if unknown(cfg):
        raise TypeError(f'the {name!r} protocol has no parameter {", ".join(unknown(cfg))} '
                        f'(its parameters: {", ".join(accepted) or "none"})')
    ignored = unknown(params)
    if ignored:
        warnings.warn(
            f'the {name!r} protocol has no parameter {", ".join(ignored)}: ignored', stacklevel=2)
    cfg.update((k, v) for k, v in params.items() if k not in ignored)
    return EVAL_PROTOCOLS.build(cfg)


def evaluate_query(gt: Mapping, pred: Any, protocol: Any, qid=None) -> Dict[str, float]:
    """Score one query under ``protocol`` (a name, a config or a protocol object,
    :func:`build_protocol`).

    Raises:
        KeyError: ``pred`` is None under a protocol that does not score a missing prediction
            as 0 (``sampled``, ``dense``).
    """
    return build_protocol(protocol).score_query(gt, pred, qid=qid)


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
                  protocol: Any = 'sampled',
                  *,
                  iou_thresholds: Sequence[float] = (0.3, 0.5),
                  invalid_preds: Collection = (),
                  num_skipped: int = 0,
                  skipped_as_failures: bool = True) -> tuple:
    """Score every GT query against its prediction and aggregate.

    Args:
        gts (Mapping): ``{qid: gt dict}``; every query in it is scored.
        preds (Mapping): ``{qid: Tube or pred dict}``; extra qids are ignored. A missing qid
            is an error or scores 0, as the protocol says (``hcstvg_official`` scores 0).
        protocol (str | dict | BaseProtocol): the protocol, its parameters included
            (:func:`build_protocol`: ``'dense'``, ``dict(type='sampled', eval_fps=2)``).
            Defaults to 'sampled'.
        iou_thresholds (Sequence[float]): ``R`` of ``vIoU@R``. Defaults to (0.3, 0.5).
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
    protocol = build_protocol(protocol)
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
        scores = protocol.score_query(gt, preds.get(qid), qid=qid)
        per_query.append(dict(qid=qid, sentence_type=gt.get('sentence_type'), **scores))
    metrics = aggregate_stvg_results(
        per_query,
        iou_thresholds,
        num_skipped=num_skipped,
        skipped_as_failures=skipped_as_failures)
    return metrics, per_query
