# Copyright (c) mmstvg contributors. Arguments follow mmdetection's
# tools/analysis_tools/analyze_results.py (config, predictions, show dir, --topk).
"""Find the best and the worst queries of a test run and draw their tubes.

    python tools/analysis_tools/analyze_results.py CONFIG PREDICTIONS SHOW_DIR [--topk 20]

``PREDICTIONS`` is either the pickle of ``tools/test.py CONFIG CKPT --dump FILE.pkl`` (every
test query with its predicted and GT tubes and its metainfo) or a submission file of the
config's test split (``tools/test.py --submit FILE.json``, or another codebase's in the
HC-STVG challenge format), whose GT, sentences and videos then come from the config's test
dataset. Every query is scored by the config's test metric (``STVGMetric`` with its protocol,
:meth:`~mmstvg.evaluation.STVGMetric.query_scores`: the per-query tIoU and vIoU behind the
numbers ``tools/test.py`` prints; ``--protocol`` scores under another one), the queries are
ranked by vIoU (then tIoU), and the ``--topk`` best and worst are drawn with
:class:`~mmstvg.visualization.STVGVisualizer` (GT tube green, predicted tube red, the
sentence, a timeline of both spans):

- ``SHOW_DIR/good/<rank>_<qid>_<vIoU>.mp4`` and ``.png`` (the key-frame montage): the best
  queries, rank 1 first;
- ``SHOW_DIR/bad/<rank>_<qid>_<vIoU>.mp4`` and ``.png``: the worst, rank 1 the worst;
- ``SHOW_DIR/analysis.json``: the metrics and, for both lists, each query's rank, qid,
  sentence, tIoU, vIoU, video and drawn files.

``--out-suffix .png`` draws the montages only (fast), ``.gif`` GIFs; ``--max-frames N`` draws
at most N frames per query. ``--data-root`` / ``--pretrained-root`` / ``--cfg-options`` as in
``tools/test.py`` (the videos are read from where the config says).
"""
import argparse
import os.path as osp
from collections import OrderedDict
from typing import List, Tuple

import mmcv
import mmengine
import numpy as np
from mmengine.config import DictAction

from mmstvg.engine.hooks.stvg_visualization_hook import sanitize_filename
from mmstvg.structures import STVGDataSample, Tube
from mmstvg.utils import dataset_cfg_of, load_config, load_json, register_all_modules
from mmstvg.utils.data_root import add_root_arguments
from mmstvg.utils.path_guard import check_outputs_not_inputs
from mmstvg.utils.video_io import VIDEO_SUFFIXES, output_kind

#: metainfo drawn by the visualizer (and kept in the data samples drawn)
META_KEYS = ('qid', 'video_name', 'filename', 'sentence', 'sentence_type', 'fps', 'num_frames',
             'clip')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Draw the best and the worst queries of a test run (by vIoU)')
    parser.add_argument('config', help='test config file path')
    parser.add_argument(
        'prediction_path',
        help='tools/test.py --dump FILE.pkl, or a submission .json of the config\'s test '
        'split')
    parser.add_argument('show_dir', help='folder of the drawn queries and analysis.json')
    parser.add_argument(
        '--topk', type=int, default=20, help='number of best and of worst queries drawn')
    parser.add_argument(
        '--protocol', help='score under this protocol (default: the config\'s test_evaluator one)')
    parser.add_argument(
        '--out-suffix',
        default='.mp4',
        help='.mp4 (a video and its montage .png), .gif, or .png (the montage only)')
    parser.add_argument(
        '--max-frames', type=int, help='draw at most this many frames per query (strided)')
    add_root_arguments(parser)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value pairs (xxx=yyy)')
    args = parser.parse_args(argv)
    if args.topk < 1:
        parser.error(f'--topk must be >= 1, got {args.topk}')
    if args.max_frames is not None and args.max_frames < 1:
        parser.error(f'--max-frames must be >= 1, got {args.max_frames}')
    if not args.out_suffix.startswith('.'):
        args.out_suffix = '.' + args.out_suffix
    return args


def _evaluator_cfg(cfg, protocol=None) -> dict:
    """The STVGMetric of the config's test evaluator (``protocol`` replacing its own), as a
    plain dict without outputs (no submission is written here)."""
    evaluators = cfg.test_evaluator if isinstance(cfg.test_evaluator,
                                                  (list, tuple)) else [cfg.test_evaluator]
    stvg = [e for e in evaluators if e.get('type') in ('STVGMetric', 'mmstvg.STVGMetric')]
    if not stvg:
        raise ValueError(f'{cfg.filename}: the test_evaluator has no STVGMetric to score with')
    metric = dict(stvg[0].to_dict() if hasattr(stvg[0], 'to_dict') else stvg[0])
    for key in ('submission_file', 'format_only', 'prefix'):
        metric.pop(key, None)
    if protocol:
        metric['protocol'] = protocol
    return metric


def _dataset(cfg):
    """The config's test dataset (innermost, no pipeline)."""
    from mmstvg.registry import DATASETS
    ds_cfg = dataset_cfg_of(cfg, 'test')
    if ds_cfg is None:
        raise ValueError(f'{cfg.filename}: no test_dataloader to take the queries from')
    ds_cfg.update(pipeline=[], lazy_init=False)
    return DATASETS.build(ds_cfg)


def samples_of_submission(cfg, submission_file: str) -> Tuple[List[STVGDataSample], List[str]]:
    """Data samples (metainfo, ``gt_tube``, ``pred_tube``) of the config's test queries that
    the submission predicts, and the qids it does not predict."""
    from mmstvg.evaluation.functional import parse_submission, submission_error_message
    dataset = _dataset(cfg)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    submission = load_json(submission_file)
    preds, errors = parse_submission(
        submission,
        submission_file,
        num_frames={str(i['qid']): i.get('num_frames')
                    for i in infos})
    if errors:
        raise ValueError(submission_error_message(errors, submission_file, len(submission)))
    samples, missing = [], []
    for info in infos:
        qid = str(info['qid'])
        if qid not in preds:
            missing.append(qid)
            continue
        gt = Tube.from_data_info(info)
        if gt is None:
            raise ValueError(f'{dataset.ann_file}: query {qid!r} has no ground truth')
        sample = STVGDataSample(metainfo={k: info[k] for k in META_KEYS if k in info})
        sample.gt_tube = gt.to_element()
        sample.pred_tube = Tube.from_element(preds[qid]).to_element()
        samples.append(sample)
    return samples, missing


def samples_of_dump(dump_file: str) -> List[STVGDataSample]:
    """Data samples of a ``tools/test.py --dump`` pickle (one dict per query)."""
    records = mmengine.load(dump_file)
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ValueError(f'{dump_file} is not a tools/test.py --dump file (a list of dicts)')
    samples = []
    for r in records:
        if r.get('pred_tube') is None or r.get('gt_tube') is None:
            raise ValueError(f'{dump_file}: query {r.get("qid")!r} has no pred_tube or '
                             'gt_tube (a split without ground truth cannot be analysed)')
        sample = STVGDataSample(metainfo={k: r[k] for k in META_KEYS if k in r})
        sample.gt_tube = Tube.from_element(r['gt_tube']).to_element()
        sample.pred_tube = Tube.from_element(r['pred_tube']).to_element()
        samples.append(sample)
    return samples


def rank_queries(samples: List[STVGDataSample], metric) -> Tuple[OrderedDict, List[dict]]:
    """Score ``samples`` with ``metric`` (an STVGMetric) and rank them, best first.

    Returns:
        tuple[OrderedDict, list[dict]]: the metrics and the per-query scores (``qid``,
        ``tIoU``, ``vIoU`` ..., plus ``index`` into ``samples``), by decreasing vIoU, then
        tIoU, then qid.
    """
    metric.results.clear()
    metric.process({}, samples)
    metrics, scores = metric.query_scores()
    index = {str(s.metainfo['qid']): i for i, s in enumerate(samples)}
    for s in scores:
        s['index'] = index[s['qid']]
    scores.sort(key=lambda s: (-s['vIoU'], -s['tIoU'], s['qid']))
    return metrics, scores


def file_stem(rank: int, qid: str, viou: float) -> str:
    """``<rank>_<qid>_<vIoU>``: the qid made safe for file names, without the video suffix
    that HC-STVG qids (video file names) carry."""
    stem = sanitize_filename(qid)
    root, ext = osp.splitext(stem)
    if root and ext.lower() in VIDEO_SUFFIXES:
        stem = root
    return f'{rank:02d}_{stem}_{viou:.3f}'


def draw(sample: STVGDataSample, visualizer, out_file: str, max_frames=None) -> List[str]:
    """Draw one query to ``out_file`` (and its montage ``.png`` beside a video / GIF);
    returns the files written."""
    clip = sample.metainfo.get('clip')
    montage = visualizer.add_datasample(
        sanitize_filename(sample.metainfo['qid']),
        sample.metainfo['filename'],
        data_sample=sample,
        out_file=out_file,
        max_frames=max_frames,
        frame_range=tuple(int(v) for v in clip) if clip is not None else None)
    files = [out_file]
    if output_kind(out_file) != 'image' and montage is not None:
        png = osp.splitext(out_file)[0] + '.png'
        mmcv.imwrite(np.ascontiguousarray(montage[..., ::-1]), png)
        files.append(png)
    return files


def main(argv=None):
    args = parse_args(argv)
    output_kind('x' + args.out_suffix)  # a suffix it can write, before any work
    check_outputs_not_inputs({'show_dir': args.show_dir}, {
        'config': args.config,
        'prediction_path': args.prediction_path
    })
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options, args.data_root, args.pretrained_root)
    if args.prediction_path.endswith(('.pkl', '.pickle')):
        samples, missing = samples_of_dump(args.prediction_path), []
    elif args.prediction_path.endswith('.json'):
        samples, missing = samples_of_submission(cfg, args.prediction_path)
    else:
        raise ValueError(f'{args.prediction_path}: expected a --dump .pkl or a submission .json')
    if missing:
        print(f'{len(missing)} test queries have no prediction in {args.prediction_path} and '
              f'are left out: {missing[:10]}' + (' ...' if len(missing) > 10 else ''))
    if not samples:
        raise ValueError(f'{args.prediction_path}: no query to analyse')

    from mmstvg.registry import METRICS
    from mmstvg.visualization import STVGVisualizer
    metric = METRICS.build(_evaluator_cfg(cfg, args.protocol))
    metrics, ranked = rank_queries(samples, metric)
    k = min(args.topk, len(ranked))
    visualizer = STVGVisualizer(name='analyze_results')
    report = OrderedDict(
        config=args.config,
        predictions=args.prediction_path,
        protocol=type(metric.protocol).__name__,
        metrics=dict(metrics),
        num_queries=len(ranked))
    for folder, chosen in (('good', ranked[:k]), ('bad', ranked[::-1][:k])):
        rows = []
        for rank, score in enumerate(chosen, 1):
            sample = samples[score['index']]
            out_file = osp.join(args.show_dir, folder,
                                file_stem(rank, score['qid'], score['vIoU']) + args.out_suffix)
            video = sample.metainfo['filename']
            check_outputs_not_inputs({'drawn query': out_file}, {'video': video})
            files = draw(sample, visualizer, out_file, args.max_frames)
            rows.append(
                dict(
                    rank=rank,
                    qid=score['qid'],
                    sentence=sample.metainfo.get('sentence'),
                    tIoU=score['tIoU'],
                    vIoU=score['vIoU'],
                    video=video,
                    files=files))
        report[folder] = rows
    mmengine.dump(report, osp.join(args.show_dir, 'analysis.json'), indent=2)
    shown = [f'{key}: {value:.4f}' for key, value in metrics.items() if isinstance(value, float)]
    print(f'{len(ranked)} queries, ' + ', '.join(shown))
    for folder, title in (('good', 'best'), ('bad', 'worst')):
        print(f'{k} {title} queries (drawn in {osp.join(args.show_dir, folder)}):')
        for row in report[folder]:
            print(f'  {row["rank"]:>3}  vIoU {row["vIoU"]:.3f}  tIoU {row["tIoU"]:.3f}  '
                  f'{row["qid"]}: {row["sentence"]}')
    return report


if __name__ == '__main__':
    main()
