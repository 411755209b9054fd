# Copyright (c) mmstvg contributors.
"""Draw a predicted tube (and optionally the GT tube) of one query on its video.

The prediction comes from a submission file in the HC-STVG challenge format (what
``tools/test.py --submit FILE`` writes; 1-based inclusive frames, see
``mmstvg/evaluation/functional/submission.py``)::

    {"<qid>": {"st_frame": s, "ed_frame": e, "bbox": {"<frame_id>": [x1, y1, x2, y2]}}}

or a single entry of one (``{"st_frame": ..., "ed_frame": ..., "bbox": {...}}``). The GT
(optional) is either an annotation file parsed by mmstvg's dataset classes (``HCSTVGDataset``
for HC-STVG v1/v2 dicts, ``VidSTGDataset`` for VidSTG lists, which also need the VidOR box
files; the sentence, fps, frame count and clip then come from it), or a file in the same
submission format as the prediction.

Output by suffix of ``--out``: ``.mp4`` (H.264), ``.gif``, or ``.png`` / ``.jpg`` (a montage
of key frames). Example::

    python tools/analysis_tools/visualize_tube.py \\
        --video data/hcstvg/v2/video/3_5MxjqHfkWFI.mkv \\
        --pred work_dirs/x/val_submit.json --qid 3_5MxjqHfkWFI.mkv \\
        --gt-ann data/hcstvg/anno_v2/val_v2.json --out vis/3_5MxjqHfkWFI.mp4
"""
import argparse
import os.path as osp
from typing import Optional

from mmstvg.datasets.annotation_file import annotation_format_names, build_annotation_dataset
from mmstvg.evaluation.functional import submission_entry_to_tube
from mmstvg.structures import STVGDataSample, Tube
from mmstvg.utils import load_json
from mmstvg.utils.path_guard import check_outputs_not_inputs
from mmstvg.utils.video_io import output_kind


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Draw an STVG tube from a submission file on its video')
    parser.add_argument('--video', required=True, help='video file')
    parser.add_argument(
        '--pred',
        help='submission file ({qid: entry}) or one entry '
        '(HC-STVG challenge format, 1-based inclusive frames)')
    parser.add_argument(
        '--qid',
        help='query id in --pred / --gt-ann (default: the only '
        'entry, else the video file name, which is the HC-STVG qid)')
    parser.add_argument('--sentence', help='query sentence (default: from --gt-ann)')
    parser.add_argument(
        '--gt-ann',
        help='GT: an HC-STVG / VidSTG annotation file, or a file '
        'in the submission format')
    parser.add_argument(
        '--gt-format',
        default='auto',
        choices=['auto', 'submission'] + annotation_format_names(),
        help='format of --gt-ann (auto: a dict whose entries carry a `bbox` '
        'dict is a submission, another dict HC-STVG (synthetic when its records carry fps), '
        'a list VidSTG)')
    parser.add_argument('--vidor-dir', help='VidSTG only: directory of the VidOR box files')
    parser.add_argument('--out', required=True, help='output file (.mp4, .gif, .png, .jpg)')
    parser.add_argument(
        '--fps', type=float, help='frame rate (default: annotation, then '
        'video)')
    parser.add_argument(
        '--max-frames', type=int, help='draw at most this many frames '
        '(strided)')
    parser.add_argument(
        '--frame-range',
        type=int,
        nargs=2,
        metavar=('START', 'END'),
        help='half-open 0-based [START, END) frames to draw (default: the '
        'query clip when known, else the whole video)')
    parser.add_argument(
        '--whole-video',
        action='store_true',
        help='draw the whole video even when the annotation gives a clip')
    parser.add_argument(
        '--min-size',
        type=int,
        default=240,
        help='enlarge frames whose short edge is smaller (0: never)')
    return parser.parse_args(argv)


def is_submission_entry(entry) -> bool:
    """Whether ``entry`` looks like one submission entry (``bbox`` is a dict)."""
    return isinstance(entry, dict) and 'st_frame' in entry and 'ed_frame' in entry and \
        isinstance(entry.get('bbox', None), dict)


def select_entry(content, qid: Optional[str], video: str, what: str):
    """``(qid, entry)`` of a submission file's content (a dict of entries or one entry)."""
    if is_submission_entry(content):
        return qid, content
    if not isinstance(content, dict) or not content:
        raise ValueError(f'{what} is neither a submission dict {{qid: entry}} nor an entry')
    if qid is None:
        if len(content) == 1:
            qid = next(iter(content))
        elif osp.basename(video) in content:
            qid = osp.basename(video)
        else:
            raise ValueError(f'{what} holds {len(content)} queries: pass --qid')
    if qid not in content:
        raise KeyError(f'query {qid!r} not in {what}')
    if not is_submission_entry(content[qid]):
        raise ValueError(f'{what}[{qid!r}] is not a submission entry')
    return qid, content[qid]


def load_gt_info(ann_file: str,
                 fmt: str,
                 qid: Optional[str],
                 video: str,
                 vidor_dir: Optional[str] = None,
                 content=None) -> dict:
    """The ``data_info`` of one query of an annotation file (see ``docs/data_flow.md``);
    ``content`` (the file's parsed content, when already read) tells its format."""
    ds = build_annotation_dataset(ann_file, fmt, vidor_dir, content=content)
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    if qid is None:
        matches = [
            i for i in infos
            if i.get('video_name') == osp.basename(video) or i.get('qid') == osp.basename(video)
        ]
        if len(matches) != 1:
            raise ValueError(f'{ann_file}: {len(matches)} queries match the video; pass --qid')
        return matches[0]
    for info in infos:
        if str(info['qid']) == qid:
            return info
    raise KeyError(f'query {qid!r} not in {ann_file}')


def build_data_sample(args) -> STVGDataSample:
    """An :class:`STVGDataSample` with ``pred_tube`` / ``gt_tube`` and the metainfo."""
    qid = args.qid
    pred = None
    if args.pred:
        qid, entry = select_entry(load_json(args.pred), qid, args.video, args.pred)
        pred = Tube.from_element(submission_entry_to_tube(entry, qid))
    meta = dict(qid=qid, filename=args.video)
    gt = None
    if args.gt_ann:
        content = load_json(args.gt_ann)
        fmt = args.gt_format
        if fmt == 'auto' and isinstance(content, dict) and (is_submission_entry(content) or any(
                is_submission_entry(v) for v in content.values())):
            fmt = 'submission'
        if fmt == 'submission':
            qid, entry = select_entry(content, qid, args.video, args.gt_ann)
            gt = Tube.from_element(submission_entry_to_tube(entry, qid))
        else:
            info = load_gt_info(args.gt_ann, fmt, qid, args.video, args.vidor_dir, content)
            qid = str(info['qid'])
            for key in ('sentence', 'fps', 'num_frames', 'clip', 'video_name'):
                if info.get(key) is not None:
                    meta[key] = info[key]
            gt = Tube.from_data_info(info)
    meta['qid'] = qid
    if args.sentence:
        meta['sentence'] = args.sentence
    if args.fps:
        meta['fps'] = args.fps
    sample = STVGDataSample(metainfo=meta)
    for key, tube in (('pred_tube', pred), ('gt_tube', gt)):
        if tube is not None:
            setattr(sample, key, tube.to_element())
    return sample


def main(argv=None):
    args = parse_args(argv)
    if not (args.pred or args.gt_ann):
        raise ValueError('nothing to draw: give --pred and/or --gt-ann')
    if args.max_frames is not None and args.max_frames < 1:
        raise ValueError(f'--max-frames must be >= 1, got {args.max_frames}')
    output_kind(args.out)  # a suffix it can write, before any work
    check_outputs_not_inputs({'--out': args.out}, {
        '--video': args.video,
        '--pred': args.pred,
        '--gt-ann': args.gt_ann
    })
    from mmstvg.visualization import STVGVisualizer
    sample = build_data_sample(args)
    frame_range = args.frame_range
    if frame_range is None and not args.whole_video and 'clip' in sample.metainfo:
        frame_range = tuple(sample.metainfo['clip'])
    visualizer = STVGVisualizer(
        name='visualize_tube', min_size=args.min_size if args.min_size > 0 else None)
    montage = visualizer.add_datasample(
        str(sample.metainfo.get('qid') or osp.basename(args.video)),
        args.video,
        data_sample=sample,
        out_file=args.out,
        fps=args.fps,
        max_frames=args.max_frames,
        frame_range=frame_range)
    if montage is None:
        raise RuntimeError(f'no frame of {args.video} could be drawn')
    print(f'wrote {args.out}')
    return args.out


if __name__ == '__main__':
    main()
