"""STVG metric: m_tIoU, m_vIoU and vIoU@R under one evaluation protocol; submission dump.

The protocol is an object of the registry ``EVAL_PROTOCOLS`` (``mmstvg/evaluation/protocols``,
``docs/evaluation_protocols.md``), given by name (its default parameters) or by config:

- ``'sampled'``: TubeDETR's protocol (frames selected at ``eval_fps`` and capped at
  ``video_max_len``; with ``tubedetr_clip=True`` over TubeDETR's clip, i.e. the query's clip
  without its last frame: HC-STVG ``[0, img_num - 1)``, VidSTG ``used_segment
  [begin_fid, end_fid)``), e.g. ``protocol=dict(type='sampled', eval_fps=5,
  video_max_len=200)``.
- ``'dense'``: STCAT-family protocol on every raw frame (boxes interpolated between the
  predicted frames; the last GT frame is counted).
- ``'hcstvg_official'``: the HC-STVG challenge's ``eval_hcvg.py``. The prediction is first
  densified to one interpolated box per frame of its span, exactly what the submission file
  holds, so the score equals the official script's score on the dumped file.

The scoring is :func:`mmstvg.evaluation.functional.evaluate_stvg` (pure numpy, shared with
``tools/analysis_tools/eval_submission.py``, so a dumped submission re-scored by that tool
under the same protocol gives the numbers this metric reports).

Predictions that are not numbers stop the evaluation: when any predicted box is NaN or
infinite, :meth:`STVGMetric.compute_metrics` raises :class:`NonFinitePredictionError` listing
every such query, before anything is scored or written (a NaN tube would otherwise score 0
without a word, and its submission would be refused by ``eval_submission.py``). A submission
is checked by the reader of ``eval_submission.py`` (:func:`~mmstvg.evaluation.functional.
parse_submission`, with the videos' frame counts) before it is written: ``tools/test.py
--submit`` never writes a file that the evaluator refuses.

Answers that could not be parsed (a multimodal LLM grounder, ``MLLMGrounder``, sets each data
sample's ``parse_status``, ``mmstvg.structures.PARSE_STATUSES``) are counted, never dropped:
such a query is scored as every other, its empty tube scoring 0, and the results add
``parse/<status>`` (the number of queries of each status, as a float) and ``parse/failed``
(those of ``PARSE_FAILURES``) whenever the samples carry a status; the scores are unchanged by
it. In a
submission, a failed answer's empty tube is the entry ``st_frame = ed_frame + 1`` without
boxes: the challenge's evaluator scores it 0, ``eval_submission.py`` reports it as malformed
(and ``--skip-invalid`` scores it 0, as this metric does); it is the only malformed entry
this metric writes.
"""
import os.path as osp
import warnings
from collections import OrderedDict
from typing import Any, List, Mapping, Optional, Sequence, Tuple, Union

import mmengine
import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmengine.structures import BaseDataElement

from mmstvg.registry import METRICS
from mmstvg.structures import PARSE_FAILURES, PARSE_STATUSES, Tube
from ..functional import (InvalidSubmissionError, build_protocol, evaluate_stvg,
                          is_compact_submission, parse_submission, query_gt,
                          save_compact_submission, submission_error_message,
                          tube_to_submission_entry)


class NonFinitePredictionError(ValueError):
    """Predicted boxes that are NaN or infinite (a diverged model or a corrupt checkpoint).

    Attributes:
        qids (list[str]): the queries with such predictions.
    """

    def __init__(self, message: str, qids: Sequence[str]) -> None:
        super().__init__(message)
        self.qids = list(qids)


@METRICS.register_module()
class STVGMetric(BaseMetric):
    """Spatio-temporal video grounding metric.

    ``process`` reads, per data sample (a dict, as mmengine's ``Evaluator`` passes
    ``STVGDataSample.to_dict()``; data sample objects are accepted too):

    - metainfo: ``qid`` (falls back to ``video_name``), ``sentence_type``, ``clip``
      ([start, end) original frames), ``fps`` (video frame rate), ``num_frames``;
    - ``gt_tube``: ``span`` (2,) half-open GT span, ``bboxes`` (end - start, 4) xyxy original
      pixels; absent on a split without ground truth (set ``format_only=True``);
    - ``pred_tube``: ``span`` (2,), ``frame_ids`` (K,), ``bboxes`` (K, 4) xyxy original pixels.

    Results: ``m_tIoU``, ``m_vIoU``, ``vIoU@R`` for each ``R`` of ``iou_thresholds`` (queries
    with vIoU strictly greater than ``R``), values in [0, 1]; when sentence types are set
    (VidSTG), the same keys prefixed ``declarative/`` and ``interrogative/``. Keys carry no
    prefix unless ``prefix`` is given (``prefix='stvg'``: ``stvg/m_vIoU`` ..., e.g. to tell
    two evaluators apart): ``default_prefix`` is ``''``, mmengine's declared "no prefix" (its
    ``BaseMetric`` warns only when the prefix is None), because these names are the field's
    and mmstvg's interface: ``save_best='m_vIoU'``, ``eval_submission.py``'s output (the same
    keys, compared with the logged ones by the tests), the benchmark suite and the metafiles
    read them as they are.

    Args:
        protocol (str | dict): the evaluation protocol (registry ``EVAL_PROTOCOLS``): its
            name, ``'sampled'``, ``'dense'``, ``'hcstvg_official'`` or another registered one,
            with its default parameters, or a config with its parameters, e.g.
            ``dict(type='sampled', eval_fps=5, video_max_len=200, tubedetr_clip=True)``
            (``mmstvg.evaluation.protocols``). Defaults to 'sampled'.
        iou_thresholds (Sequence[float]): ``R`` of ``vIoU@R``. Defaults to (0.3, 0.5).
        submission_file (str, optional): when set, write every prediction there in the HC-STVG
            challenge format (``mmstvg.evaluation.functional.submission``: key = qid,
            1-based inclusive frames, one box per frame of the predicted span); a ``.npz``
            file gets the same entries in the compact form
            (``mmstvg.evaluation.functional.compact_submission``). Defaults to None.
        format_only (bool): only write ``submission_file`` (a split without ground truth, e.g.
            HC-STVG v2 ``query_v2.json``); returns no metric. Defaults to False.
        skipped_as_failures (bool): queries the dataset skipped as invalid
            (``skip_invalid=True``; its metainfo ``skipped_queries``) count as scoring 0 in the
            overall means (m_tIoU, m_vIoU, vIoU@R over evaluated + skipped queries), so
            dropping data never inflates a score; per-sentence-type metrics cover the
            evaluated queries only (a skipped query's type is unknown). False: means over the
            evaluated queries only. (The averaging is
            :func:`~mmstvg.evaluation.functional.aggregate_stvg_results`, shared with
            ``tools/analysis_tools/eval_submission.py --skip-invalid``, which gives the same
            numbers.) Either way, when queries were skipped, the results
            report ``num_queries`` (scored) and ``num_skipped``, the log lists every skipped
            qid, and with ``submission_file`` they are written to ``<file>.skipped.json``.
            Defaults to True.
        collect_device (str): 'cpu' or 'gpu', device to collect results across ranks.
            Defaults to 'cpu'.
        prefix (str, optional): prefix of the metric names (``'<prefix>/m_vIoU'``).
            Defaults to None: :attr:`default_prefix`, ``''`` (no prefix).
        collect_dir (str, optional): directory for cpu collection. Defaults to None.
        eval_fps, video_max_len, tubedetr_clip: deprecated: parameters of the ``sampled``
            protocol, write them in its config (``protocol=dict(type='sampled',
            eval_fps=2)``). When given (older configs, ``--cfg-options
            test_evaluator.eval_fps=2``) they override the protocol's value, with a
            ``FutureWarning``; a protocol without such a parameter ignores it, as before.
    """
    default_prefix: Optional[str] = ''

    def __init__(self,
                 protocol: Union[str, dict] = 'sampled',
                 *,
                 iou_thresholds: Sequence[float] = (0.3, 0.5),
                 submission_file: Optional[str] = None,
                 format_only: bool = False,
                 skipped_as_failures: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None,
                 eval_fps: Optional[float] = None,
                 video_max_len: Optional[int] = None,
                 tubedetr_clip: Optional[bool] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        legacy = {
            key: value
            for key, value in (('eval_fps', eval_fps), ('video_max_len', video_max_len),
                               ('tubedetr_clip', tubedetr_clip)) if value is not None
        }
        if legacy:
            name = protocol.get('type') if isinstance(protocol, Mapping) else protocol
            args = ', '.join(f'{k}={v!r}' for k, v in legacy.items())
            warnings.warn(
                f'STVGMetric({args}) is deprecated: these are parameters of the protocol, '
                f'write protocol=dict(type={name!r}, {args})', FutureWarning)
        if format_only and not submission_file:
            raise ValueError('STVGMetric: `format_only=True` needs `submission_file` (with '
                             '`tools/test.py`, pass `--submit FILE`)')
        self.protocol = build_protocol(protocol, **legacy)
        self.iou_thresholds = tuple(float(t) for t in iou_thresholds)
        self.submission_file = submission_file
        self.format_only = format_only
        self.skipped_as_failures = bool(skipped_as_failures)

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Keep the GT (:func:`~mmstvg.evaluation.functional.query_gt`) and the predicted
        tube (:class:`~mmstvg.structures.Tube`) of every data sample."""
        for sample in data_samples:
            if isinstance(sample, BaseDataElement):
                sample = sample.to_dict()
            qid = sample.get('qid', sample.get('video_name'))
            if qid is None:
                raise KeyError('STVGMetric: a data sample has neither `qid` nor `video_name`')
            try:
                gt = Tube.from_element(sample.get('gt_tube'))
                pred = Tube.from_element(sample.get('pred_tube'))
            except ValueError as err:
                raise ValueError(f'STVGMetric: query {qid!r}: {err}') from None
            self.results.append(
                dict(
                    qid=str(qid),
                    sentence_type=sample.get('sentence_type'),
                    num_frames=sample.get('num_frames'),
                    gt=None if gt is None else query_gt(gt, sample),
                    pred=pred,
                    parse_status=sample.get('parse_status')))

    @staticmethod
    def _check_finite(results: List[dict]) -> None:
        """Raise :class:`NonFinitePredictionError` listing the queries whose predicted boxes
        are NaN or infinite."""
        bad = [
            r['qid'] for r in results
            if r['pred'] is not None and not np.isfinite(r['pred'].bboxes).all()
        ]
        if bad:
            shown = ', '.join(repr(q) for q in bad[:10])
            more = f' ... ({len(bad)} in all)' if len(bad) > 10 else ''
            raise NonFinitePredictionError(
                f'STVGMetric: {len(bad)} of {len(results)} queries have non-finite (NaN/inf) '
                f'predicted boxes: {shown}{more}. The model outputs are not numbers (diverged '
                'training, a checkpoint with NaN weights, or an overflow in fp16); nothing was '
                'scored and no submission was written.', bad)

    def _dump_submission(self, results: List[dict]) -> None:
        submission = OrderedDict()
        for res in results:
            pred = res['pred']
            if pred is not None:
                submission[res['qid']] = tube_to_submission_entry(
                    pred.span, pred.frame_ids, pred.bboxes, densify=True)
        # what eval_submission.py will check, before anything is written
        _, errors = parse_submission(
            submission,
            self.submission_file,
            num_frames={r['qid']: r.get('num_frames')
                        for r in results})
        # a failed answer's empty tube (module docstring) is written as it is
        empty = {
            r['qid']
            for r in results if r.get('parse_status') in PARSE_FAILURES and r['pred'] is not None
            and r['pred'].span[1] <= r['pred'].span[0]
        }
        errors = {q: e for q, e in errors.items() if q not in empty}
        if empty:
            print_log(
                f'STVGMetric: {len(empty)} queries whose answer could not be parsed have an '
                'empty tube, written as st_frame = ed_frame + 1 without boxes (scored 0; '
                'eval_submission.py reports them as malformed, --skip-invalid scores them 0)',
                logger='current',
                level=30)
        if errors:
            raise InvalidSubmissionError(
                'STVGMetric: refusing to write a submission that eval_submission.py would '
                'refuse: ' +
                submission_error_message(errors, self.submission_file, len(submission)), errors)
        out_dir = osp.dirname(osp.abspath(self.submission_file))
        mmengine.mkdir_or_exist(out_dir)
        if is_compact_submission(self.submission_file):
            save_compact_submission(self.submission_file, submission)
        else:
            mmengine.dump(dict(submission), self.submission_file, file_format='json')
        print_log(f'STVGMetric: wrote {len(submission)} predictions to '
                  f'{self.submission_file}',
                  logger='current')

    def compute_metrics(self, results: List[dict]) -> dict:
        """Dump the submission when asked, then score (unless ``format_only``).

        Args:
            results (list[dict]): the processed results of every rank.

        Returns:
            dict: the metrics (empty with ``format_only``).
        """
        qids = [r['qid'] for r in results]
        if len(set(qids)) != len(qids):
            dup = sorted({q for q in qids if qids.count(q) > 1})
            raise ValueError(f'STVGMetric: {len(qids) - len(set(qids))} duplicated results '
                             f'(qids {dup[:5]}); each query must be scored exactly once')
        meta = self.dataset_meta or {}
        skipped = dict(meta.get('skipped_queries') or {})
        num_skipped = sum(len(v) for v in skipped.values())
        if not results:
            raise ValueError(
                f'STVGMetric: no valid query left in {meta.get("ann_file", "the dataset")}' +
                (f' ({num_skipped} skipped as invalid: {skipped})'
                 if num_skipped else ' (no result was processed)'))
        if num_skipped:
            print_log(
                f'STVGMetric: {num_skipped} queries were skipped by the dataset as '
                f'invalid and have no prediction: {skipped}',
                logger='current',
                level=30)
        self._check_finite(results)
        if self.submission_file:
            self._dump_submission(results)
            if num_skipped:
                mmengine.dump(skipped, osp.splitext(self.submission_file)[0] + '.skipped.json')
        parse_counts = self._parse_counts(results)
        if parse_counts:
            print_log(f'STVGMetric: answers parsed: {dict(parse_counts)}', logger='current')
        if self.format_only:
            return dict()
        metrics, _ = self.query_scores(results, num_skipped)
        metrics.update(parse_counts)
        return dict(metrics)

    def query_scores(self,
                     results: Optional[List[dict]] = None,
                     num_skipped: int = 0) -> Tuple['OrderedDict', List[dict]]:
        """The metrics and every query's own scores, as :meth:`compute_metrics` computes
        them (``tools/analysis_tools/analyze_results.py`` ranks the queries with them).

        Args:
            results (list[dict], optional): processed results (:meth:`process`); defaults to
                this metric's ``results`` (of this rank).
            num_skipped (int): queries the dataset skipped (failures, see
                ``skipped_as_failures``). Defaults to 0.

        Returns:
            tuple[OrderedDict, list[dict]]: the metrics and, per query in the order of
            ``results``, ``qid``, ``sentence_type``, ``tIoU`` and ``vIoU``.

        Raises:
            ValueError: a query has no ground truth.
        """
        results = self.results if results is None else results
        missing_gt = [r['qid'] for r in results if r['gt'] is None]
        if missing_gt:
            raise ValueError(f'STVGMetric: {len(missing_gt)} queries have no ground truth '
                             f'(e.g. {missing_gt[0]!r}); on a split without ground truth set '
                             '`format_only=True` and `submission_file`.')
        gts = OrderedDict((r['qid'], r['gt']) for r in results)
        preds = {
            r['qid']: self.protocol.prepare_pred(r['pred'])
            for r in results if r['pred'] is not None
        }
        return evaluate_stvg(
            gts,
            preds,
            self.protocol,
            iou_thresholds=self.iou_thresholds,
            num_skipped=num_skipped,
            skipped_as_failures=self.skipped_as_failures)

    @staticmethod
    def _parse_counts(results: List[dict]) -> 'OrderedDict':
        """``parse/<status>`` counts and ``parse/failed`` of the queries whose sample has a
        ``parse_status`` (an MLLM grounder's); empty when none has."""
        statuses = [r.get('parse_status') for r in results if r.get('parse_status') is not None]
        if not statuses:
            return OrderedDict()
        unknown = sorted(set(statuses) - set(PARSE_STATUSES))
        if unknown:
            raise ValueError(f'STVGMetric: unknown parse status(es) {unknown}; known: '
                             f'{list(PARSE_STATUSES)}')
        # floats: mmengine's json log keeps a float metric and writes null for an int one
        counts = OrderedDict(
            (f'parse/{status}', float(statuses.count(status))) for status in PARSE_STATUSES)
        counts['parse/failed'] = float(sum(statuses.count(s) for s in PARSE_FAILURES))
        return counts
