# Copyright (c) mmstvg contributors.
"""Score a submission file against an annotation file under one STVG protocol.

The submission is in the HC-STVG challenge format (what ``tools/test.py --submit FILE``
writes; 1-based inclusive frames, keyed by qid, see
``mmstvg/evaluation/functional/submission.py``), so outputs of other codebases converted to
that format can be re-scored under one protocol; or the same entries in the compact form, a
``.npz`` archive (``tools/test.py --submit FILE.npz``,
``mmstvg/evaluation/functional/compact_submission.py``), which loads many times faster. The
annotation file is parsed by mmstvg's annotation classes, the torch-free part of its dataset
classes (``HCSTVGAnnotation`` for HC-STVG v1/v2 dicts, ``VidSTGAnnotation`` for VidSTG lists,
which also need the VidOR box files), so the GT is exactly what ``STVGMetric`` sees; the tool
imports neither torch nor ``mmaction.models``.

Example::

    python tools/analysis_tools/eval_submission.py \\
        --ann data/hcstvg/anno_v2/val_v2.json --pred work_dirs/x/val_submit.json \\
        --protocol hcstvg_official

``--protocol`` is any registered protocol (``mmstvg/evaluation/protocols``, see
``docs/evaluation_protocols.md``) with its default parameters; ``--protocol-options KEY=VALUE
...`` sets its parameters (``--eval-fps``, ``--video-max-len`` and ``--no-tubedetr-clip`` are
those of ``sampled``; a protocol without such a parameter ignores them, with a warning).

The last line printed is one JSON object with ``m_tIoU``, ``m_vIoU``, ``vIoU@R`` (values in
[0, 1]) and, when the annotations carry sentence types (VidSTG), the same keys prefixed
``declarative/`` and ``interrogative/``; when queries were skipped or predictions were
malformed (``--skip-invalid``), also ``num_queries`` (scored), ``num_skipped`` and
``num_invalid_predictions``.

Bad input (both files are read with :func:`mmstvg.utils.load_json`: invalid or truncated
JSON and repeated keys are errors naming the file): by default an invalid GT query (the
dataset's checks) or any malformed submission entry (NaN/inf or inverted boxes, ``st_frame >
ed_frame``, an ``ed_frame`` or a box past the video's last frame, non-integer frames or
frame keys, missing keys, wrong types;
``mmstvg.evaluation.functional.submission``) is an error that lists every one by qid. With
``--skip-invalid`` they are counted and scored as failures instead (tIoU = vIoU = 0), exactly
as ``tools/test.py`` (``STVGMetric``) scores the queries its dataset skipped, so both tools
give the same numbers for the same predictions.
"""
import argparse
import json
from collections import OrderedDict

import mmengine
from mmengine.config import DictAction

from mmstvg.datasets.annotation_file import annotation_format_names, build_annotation_dataset
from mmstvg.evaluation.functional import (InvalidSubmissionError, build_protocol, evaluate_stvg,
                                          load_submission, parse_submission, protocol_names,
                                          query_gt, submission_error_message)
from mmstvg.structures import Tube
from mmstvg.utils.path_guard import check_outputs_not_inputs


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Score an STVG submission file (HC-STVG challenge format) against an '
        'annotation file')
    parser.add_argument(
        '--ann',
        required=True,
        help='annotation file (HC-STVG v1/v2 json '
        'dict, or VidSTG *_annotations.json list)')
    parser.add_argument(
        '--pred',
        required=True,
        help='submission file to score: the challenge JSON, or the compact .npz form '
        '(tools/test.py --submit FILE.npz)')
    parser.add_argument(
        '--protocol',
        required=True,
        choices=protocol_names(),
        help='evaluation protocol (docs/evaluation_protocols.md)')
    parser.add_argument(
        '--protocol-options',
        nargs='+',
        action=DictAction,
        default={},
        metavar='KEY=VALUE',
        help='parameters of the protocol (e.g. eval_fps=2 video_max_len=100 for sampled)')
    parser.add_argument(
        '--dataset',
        choices=annotation_format_names(),
        help='annotation format; guessed from the file when omitted '
        '(a dict is HC-STVG, or synthetic when its records carry fps; a list is VidSTG)')
    parser.add_argument('--vidor-dir', help='VidSTG only: directory of the VidOR box files')
    parser.add_argument(
        '--eval-fps', type=float, help='`sampled`: evaluation frame rate (default 5)')
    parser.add_argument(
        '--video-max-len',
        type=int,
        help='`sampled`: max evaluation frames per query (default 200)')
    parser.add_argument(
        '--no-tubedetr-clip',
        action='store_true',
        help='`sampled`: select frames over the whole mmstvg clip instead of '
        "TubeDETR's clip (the clip minus its last frame)")
    parser.add_argument(
        '--iou-thrs',
        type=float,
        nargs='+',
        default=[0.3, 0.5],
        help='R of vIoU@R (default 0.3 0.5)')
    parser.add_argument(
        '--skip-invalid',
        action='store_true',
        help='count invalid GT queries and malformed submission entries and '
        'score them as failures (tIoU = vIoU = 0, as tools/test.py scores '
        'skipped queries) instead of stopping with an error that lists them')
    parser.add_argument('--per-query', help='optional json file for the per-query scores')
    return parser.parse_args(argv)


def dataset_gt_queries(ds) -> OrderedDict:
    """``{qid: gt dict}`` (the input of ``evaluate_stvg``, ``query_gt``) of a built
    dataset."""
    gts = OrderedDict()
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        tube = Tube.from_data_info(info)
        if tube is None:
            raise ValueError(f'{ds.ann_file} has no ground truth (query {info.get("qid")!r})')
        gts[str(info['qid'])] = query_gt(tube, info)
    return gts


def protocol_from_args(args):
    """The protocol of ``--protocol``, ``--protocol-options`` and the ``sampled`` flags."""
    flags = dict(eval_fps=args.eval_fps, video_max_len=args.video_max_len)
    if args.no_tubedetr_clip:
        flags['tubedetr_clip'] = False
    return build_protocol(
        dict(type=args.protocol, **args.protocol_options), **{
            k: v
            for k, v in flags.items() if v is not None
        })


def load_gt_queries(ann_file: str,
                    dataset: str = None,
                    vidor_dir: str = None,
                    skip_invalid: bool = False) -> OrderedDict:
    """``{qid: gt dict}`` (the input of ``evaluate_stvg``) of an annotation file.

    Args:
        ann_file (str): annotation file.
        dataset (str, optional): an annotation format ('hcstvg', 'synthetic', 'vidstg');
            guessed when None.
        vidor_dir (str, optional): VidOR box directory (VidSTG).
        skip_invalid (bool): skip invalid GT queries (the dataset logs them) instead of
            raising. Defaults to False.

    Returns:
        OrderedDict: qid -> ``dict(span, bboxes, clip, fps, num_frames, sentence_type)``.
    """
    return dataset_gt_queries(
        build_annotation_dataset(ann_file, dataset or 'auto', vidor_dir, skip_invalid))


def score_submission(gts,
                     submission,
                     protocol,
                     *,
                     iou_thresholds=(0.3, 0.5),
                     skip_invalid=False,
                     num_skipped=0,
                     filename=None):
    """Metrics and per-query scores of a submission dict against ``{qid: gt}`` under
    ``protocol`` (a name, a config dict or a protocol object, ``build_protocol``).

    Malformed entries raise :class:`InvalidSubmissionError` listing every one by qid, or,
    with ``skip_invalid``, score 0 (those of queries in ``gts``) and are counted in
    ``num_invalid_predictions``. ``num_skipped`` GT queries skipped as invalid count as
    failures (``aggregate_stvg_results``).
    """
    preds, errors = parse_submission(
        submission, filename, num_frames={
            qid: gt.get('num_frames')
            for qid, gt in gts.items()
        })
    if errors:
        message = submission_error_message(errors, filename, len(submission))
        if not skip_invalid:
            raise InvalidSubmissionError(message + '\n(--skip-invalid scores them as failures)',
                                         errors)
        print(f'WARNING: {message}\n-> each is scored as a failure (--skip-invalid)')
    metrics, per_query = evaluate_stvg(
        gts,
        preds,
        protocol,
        iou_thresholds=iou_thresholds,
        invalid_preds=[q for q in errors if q in gts],
        num_skipped=num_skipped)
    if errors:
        metrics['num_invalid_predictions'] = len(errors)
    return metrics, per_query


def main(argv=None):
    args = parse_args(argv)
    check_outputs_not_inputs({'--per-query': args.per_query}, {
        '--ann': args.ann,
        '--pred': args.pred
    })
    protocol = protocol_from_args(args)
    ds = build_annotation_dataset(args.ann, args.dataset or 'auto', args.vidor_dir,
                                  args.skip_invalid)
    gts = dataset_gt_queries(ds)
    skipped = {reason: list(qids) for reason, qids in ds.skipped.items() if qids}
    num_skipped = sum(len(qids) for qids in skipped.values())
    submission = load_submission(args.pred)
    metrics, per_query = score_submission(
        gts,
        submission,
        protocol,
        iou_thresholds=args.iou_thrs,
        skip_invalid=args.skip_invalid,
        num_skipped=num_skipped,
        filename=args.pred)
    invalid = [r['qid'] for r in per_query if r.get('invalid_prediction')]
    num_invalid = metrics.get('num_invalid_predictions', 0)
    missing = [q for q in gts if q not in submission]
    print(f'{args.ann}: {len(gts)} queries scored (num_queries), {num_skipped} skipped as '
          'invalid (num_skipped' + (', scored as failures' if num_skipped else '') + ')')
    if num_skipped:
        print(f'skipped queries: {skipped}')
    print(f'{args.pred}: {len(submission)} predictions, {num_invalid} malformed '
          f'({len(invalid)} of them for scored queries, scored as failures), '
          f'{len(missing)} scored queries without prediction' +
          (' (scored 0)' if missing and protocol.missing_pred_scores_zero else ''))
    if args.per_query:
        mmengine.dump(per_query, args.per_query)
    for key, value in metrics.items():
        print(f'{key}: {value:.4f}' if isinstance(value, float) else f'{key}: {value}')
    print(json.dumps(metrics))
    return metrics


if __name__ == '__main__':
    main()
