# Copyright (c) mmstvg contributors.
"""Data loading, submission loading, evaluation and decoding at full dataset scale, each
timed against a reference implemented the simple way, in one run (issue 28).

GENERATION (once, kept in ``--data-dir``): full-scale annotation sets made by cloning the
real records of the tests' fixtures (``tests/data``):

- VidSTG (``vidstg/``): the real val sentence file (3,996 records, 8,956 queries, 602
  videos) cloned record by record, video by video, to 80,684 train / 8,956 val / 10,303 test
  queries (the published split sizes; ``--scale`` shrinks them); each cloned video gets a
  VidOR box file (``vidor/{training,validation}/<group>/<vid>.json``, VidOR's own layout and
  compact JSON) with the video's frame count, size and objects, every object boxed on 86 % of
  the frames (the real box file's share) with boxes taken from the real box file
  (``tests/data/vidstg/vidor/11566930393.json``), so that every query's target is boxed over
  its GT span. TubeDETR's preprocessed ``{split}.json`` (``preproc/preproc_vidstg.py``: the
  queries, questions first, and the target trajectories keyed by frame) is written beside
  them for the TubeDETR references.
- HC-STVG v2 (``hcstvg/``): 10,131 train / 2,000 val records whose sentences are those of
  the real ``query_v2.json`` (2,931 videos), 20-s videos of 450 to 900 frames, a GT tube on
  about 40 % of the video with the real box file's boxes (``xywh``).
- Predictions: a submission per split (what ``tools/test.py --submit`` writes: one box per
  frame of the predicted span, float32 values), for a prediction that overlaps the GT with
  jittered spans and boxes; the same predictions in TubeDETR's format (a box per frame it
  samples) for the TubeDETR references.

MEASUREMENT: each work runs in a fresh process; its CPU time (user + system, of the process
alone, from ``os.wait4``) and its peak RSS are measured, mmstvg and its reference in pairs,
interleaved (A B, then B A, ...), ``--runs`` pairs. The table gives the median of each side,
and the median and the range (min - max) of the per-pair ratios mmstvg / reference. CPU time,
not wall time: the machine may be shared.

Usage::

    python tools/analysis_tools/benchmark_data.py --data-dir work_dirs/benchmark_data \\
        --runs 3 --out docs/benchmarks.md
"""
import argparse
import copy
import json
import os
import os.path as osp
import random
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FIXTURES = osp.join(REPO, 'tests', 'data')
#: published split sizes (queries)
VIDSTG_SPLITS = dict(train=80684, val=8956, test=10303)
HCSTVG_SPLITS = dict(train=10131, val=2000)
#: share of the frames on which a VidOR object is boxed (the real box file: 2,249 boxes for
#: 3 objects over 872 frames)
BOX_COVERAGE = 0.86
COMPACT = (',', ':')


# ---------------------------------------------------------------------------- generation
def _dense_tracks(vidor: dict) -> np.ndarray:
    """(num_tids, num_frames, 4) xyxy boxes of the real box file, gaps filled with the
    nearest box."""
    num_frames = len(vidor['trajectories'])
    tids = sorted({o['tid'] for o in vidor['subject/objects']})
    tracks = np.full((len(tids), num_frames, 4), np.nan)
    for f, frame in enumerate(vidor['trajectories']):
        for obj in frame:
            b = obj['bbox']
            tracks[tids.index(obj['tid']), f] = (b['xmin'], b['ymin'], b['xmax'], b['ymax'])
    for track in tracks:
        have = np.flatnonzero(~np.isnan(track[:, 0]))
        for c in range(4):
            track[:, c] = np.interp(np.arange(num_frames), have, track[have, c])
    return tracks


def _box_source(fixtures: str):
    with open(osp.join(fixtures, 'vidstg', 'vidor', '11566930393.json')) as f:
        vidor = json.load(f)
    return _dense_tracks(vidor), (vidor['width'], vidor['height'])


def _scaled_boxes(tracks, src_size, k: int, frames: np.ndarray, width: int,
                  height: int) -> np.ndarray:
    """Integer xyxy boxes of the real track ``k % n`` at ``frames``, scaled to the frame."""
    track = tracks[k % len(tracks)]
    boxes = track[frames % track.shape[0]] * ([width / src_size[0], height / src_size[1]] * 2)
    boxes = np.round(boxes).astype(np.int64)
    boxes[:, 0::2] = np.clip(boxes[:, 0::2], 0, width - 2)
    boxes[:, 1::2] = np.clip(boxes[:, 1::2], 0, height - 2)
    boxes[:, 2] = np.maximum(boxes[:, 2], boxes[:, 0] + 1)
    boxes[:, 3] = np.maximum(boxes[:, 3], boxes[:, 1] + 1)
    return boxes


def _covered(need: Optional[tuple], num_frames: int, rng: random.Random) -> tuple:
    """Frames ``[a, b)`` on which an object is boxed: ``BOX_COVERAGE`` of the video, around
    the frames it must cover (``need``)."""
    length = max(1, int(round(BOX_COVERAGE * num_frames)))
    if need is None:
        start = rng.randint(0, num_frames - length)
        return start, start + length
    a, b = need
    if b - a >= length:
        return a, b
    start = min(max(0, a - (length - (b - a)) // 2), num_frames - length)
    return start, start + length


#: one box of a VidOR trajectory, as VidOR writes it (compact JSON)
_BOX = ('{"tid":%d,"bbox":{"xmin":%d,"ymin":%d,"xmax":%d,"ymax":%d},"generated":0,'
        '"tracker":"none"}')


def _vidor_file(vid: str, folder: str, records: List[dict], tracks, src_size) -> dict:
    first = records[0]
    num_frames, width, height = first['frame_count'], first['width'], first['height']
    categories, need = {}, {}
    for r in records:
        for obj in r['subject/objects']:
            categories.setdefault(obj['tid'], obj['category'])
        gt = (r['temporal_gt']['begin_fid'], r['temporal_gt']['end_fid'])
        for q in r['captions'] + r['questions']:
            a, b = need.get(q['target_id'], gt)
            need[q['target_id']] = (min(a, gt[0]), max(b, gt[1]))
    rng = random.Random(vid)
    frames = [[] for _ in range(num_frames)]
    tubes = {}
    for k, tid in enumerate(sorted(categories)):
        a, b = _covered(need.get(tid), num_frames, rng)
        boxes = _scaled_boxes(tracks, src_size, k, np.arange(a, b), width, height)
        tubes[tid] = (a, boxes)
        for f, box in zip(range(a, b), boxes.tolist()):
            frames[f].append(_BOX % (tid, *box))
    head = json.dumps(
        {
            'version': 'VERSION 1.0',
            'video_id': vid,
            'video_path': f'{folder}/{vid}.mp4',
            'frame_count': num_frames,
            'fps': first['fps'],
            'width': width,
            'height': height,
            'subject/objects': [dict(tid=t, category=c) for t, c in sorted(categories.items())],
        },
        separators=COMPACT)
    tail = json.dumps([r['used_relation'] for r in records], separators=COMPACT)
    text = (
        head[:-1] + ',"trajectories":[' + ','.join('[' + ','.join(f) + ']' for f in frames) +
        '],"relation_instances":' + tail + '}')
    return text, tubes


def _tubedetr_preproc(records: List[dict], vidor_of) -> dict:
    """TubeDETR's ``preproc/preproc_vidstg.py`` for one split (questions first, then
    captions; trajectories of the targets only, keyed by frame, boxes ``xywh``; a deep copy
    of the record's fields per query and the span checks, as the script).

    ``vidor_of(vid)``: ``dict(video_path, tracks)``, ``tracks`` the video's trajectories
    ``{str(tid): {str(frame): box}}``."""
    videos, trajectories = [], {}
    for annot in records:
        vidor = vidor_of(annot['vid'])
        out = dict(
            original_video_id=annot['vid'],
            frame_count=annot['frame_count'],
            fps=annot['fps'],
            width=annot['width'],
            height=annot['height'],
            start_frame=annot['used_segment']['begin_fid'],
            end_frame=annot['used_segment']['end_fid'],
            tube_start_frame=annot['temporal_gt']['begin_fid'],
            tube_end_frame=annot['temporal_gt']['end_fid'],
            video_path=vidor['video_path'])
        for key, qtype in (('questions', 'interrogative'), ('captions', 'declarative')):
            for query in annot[key]:
                video = copy.deepcopy(out)
                video.update(
                    caption=query['description'],
                    type=query['type'],
                    target_id=query['target_id'],
                    video_id=len(videos),
                    qtype=qtype)
                videos.append(video)
                per_vid = trajectories.setdefault(annot['vid'], {})
                tid = str(query['target_id'])
                if tid not in per_vid:
                    per_vid[tid] = vidor['tracks'][tid]
                frames = [int(x) for x in per_vid[tid]]
                assert annot['temporal_gt']['end_fid'] - 1 <= max(frames)
                assert annot['temporal_gt']['begin_fid'] >= min(frames)
    return dict(videos=videos, trajectories=trajectories)


def _tubedetr_tracks(tubes: dict) -> dict:
    """TubeDETR's per-object trajectories (``preproc_vidstg.py``) of a video's boxes
    (``tid -> (first frame, (n, 4) xyxy)``): ``tid -> {frame: {bbox xywh, ...}}``."""
    out = {}
    for tid, (a, boxes) in tubes.items():
        xywh = boxes.copy()
        xywh[:, 2:] -= xywh[:, :2]
        out[tid] = {
            str(a + i): dict(bbox=box, generated=0, tracker='none', category_id=0)
            for i, box in enumerate(xywh.tolist())
        }
    return out


def _clone_vidstg_records(records: List[dict], num_queries: int, tag: str) -> List[dict]:
    """Records cloned in file order, pass after pass (vid ``<vid><tag><pass>``), until
    ``num_queries`` queries; the last record is cut to the exact count."""
    out, count, rep = [], 0, 0
    while count < num_queries:
        for r in records:
            n = len(r['captions']) + len(r['questions'])
            clone = dict(r, vid=f'{r["vid"]}{tag}{rep}')
            if count + n > num_queries:
                keep = num_queries - count
                caps = r['captions'][:keep]
                clone.update(captions=caps, questions=r['questions'][:keep - len(caps)])
                n = keep
            if n:
                out.append(clone)
            count += n
            if count >= num_queries:
                break
        rep += 1
    return out


def vidstg_qids(records: List[dict]) -> List[tuple]:
    """``(record, key, k, qid)`` of every query, mmstvg's qids (``VidSTGDataset``:
    ``<vid>_<begin>_<end>_<d|i><k>``, ``k`` counted per segment in file order)."""
    counters: Dict[str, int] = {}
    out = []
    for r in records:
        seg = r['used_segment']
        for key, letter in (('captions', 'd'), ('questions', 'i')):
            for k in range(len(r[key])):
                prefix = f'{r["vid"]}_{seg["begin_fid"]}_{seg["end_fid"]}_{letter}'
                out.append((r, key, k, f'{prefix}{counters.get(prefix, 0)}'))
                counters[prefix] = counters.get(prefix, 0) + 1
    return out


def tubedetr_frame_ids(start: int,
                       end: int,
                       video_fps: float,
                       fps: float = 5,
                       video_max_len: int = 200) -> List[int]:
    """TubeDETR's evaluation frames of a clip ``[start, end)`` (``datasets/vidstg_eval.py``)."""
    sampling_rate = fps / video_fps
    frame_ids = [start]
    for frame_id in range(start, end):
        if int(frame_ids[-1] * sampling_rate) < int(frame_id * sampling_rate):
            frame_ids.append(frame_id)
    if len(frame_ids) > video_max_len:
        frame_ids = [
            frame_ids[(j * len(frame_ids)) // video_max_len] for j in range(video_max_len)
        ]
    return frame_ids


def _write_predictions(path: str, tubedetr_path: Optional[str], queries: List[tuple]) -> None:
    """The submission (``tools/test.py --submit``: 1-based inclusive, one box per frame of
    the predicted span) and TubeDETR's predictions of the same tubes at its frames.

    ``queries``: ``(qid, tubedetr video_id, qtype, gt_span, gt_boxes, num_frames, clip)`` with
    ``clip`` TubeDETR's ``[start, end)`` and ``fps``, or None.
    """
    rng = np.random.default_rng(0)
    submission, boxes_at, steds = {}, {}, {}
    for qid, video_id, qtype, span, boxes, num_frames, clip in queries:
        (p_start, p_end), frames, pred = _jittered_prediction(span, boxes, num_frames, rng)
        submission[qid] = dict(
            st_frame=p_start + 1,
            ed_frame=p_end,
            bbox={
                str(f + 1): box
                for f, box in zip(frames.tolist(), pred.tolist())
            })
        if clip is not None:
            (start, end), fps = clip
            steds[video_id] = dict(sted=[p_start, p_end], qtype=qtype)
            for f in tubedetr_frame_ids(start, end, fps):
                k = min(max(f - p_start, 0), len(frames) - 1)
                boxes_at[f'{video_id}_{f}'] = dict(boxes=[pred[k].tolist()])
    with open(path, 'w') as f:
        f.write(json.dumps(submission))
    # the same entries in the compact form (mmstvg.evaluation.functional.compact_submission)
    entries = list(submission.values())
    counts = [len(e['bbox']) for e in entries]
    np.savez(
        osp.splitext(path)[0] + '.npz',
        format=np.array('mmstvg-submission-v1'),
        qids=np.array(list(submission)),
        spans=np.array([[e['st_frame'], e['ed_frame']] for e in entries], dtype=np.int64),
        offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        frames=np.array([int(k) for e in entries for k in e['bbox']], dtype=np.int64),
        boxes=np.array([b for e in entries for b in e['bbox'].values()], dtype=np.float64))
    if tubedetr_path:
        with open(tubedetr_path, 'w') as f:
            f.write(json.dumps(dict(predictions=boxes_at, video_predictions=steds)))


def generate_vidstg(data_dir: str,
                    scale: float = 1.0,
                    fixtures: str = FIXTURES,
                    splits: Sequence[str] = ('test', 'val', 'train'),
                    log=print) -> dict:
    """Write the VidSTG sets (module docstring) under ``data_dir/vidstg``."""
    root = osp.join(data_dir, 'vidstg')
    with open(osp.join(fixtures, 'vidstg', 'val_annotations.json')) as f:
        val = json.load(f)
    tracks, src_size = _box_source(fixtures)
    sizes = {}
    for split in splits:
        tag, folder = dict(
            test=('t', 'validation'), val=('v', 'training'), train=('r', 'training'))[split]
        num = max(1, int(round(VIDSTG_SPLITS[split] * scale)))
        records = _clone_vidstg_records(val, num, tag)
        by_vid: Dict[str, List[dict]] = {}
        for r in records:
            by_vid.setdefault(r['vid'], []).append(r)
        box_dir = osp.join(root, 'vidor', folder)
        trajectories, tubes = {}, {}
        for i, (vid, recs) in enumerate(by_vid.items()):
            group = f'{i // 100:04d}'
            text, tubes[vid] = _vidor_file(vid, group, recs, tracks, src_size)
            os.makedirs(osp.join(box_dir, group), exist_ok=True)
            with open(osp.join(box_dir, group, vid + '.json'), 'w') as f:
                f.write(text)
            targets = {q['target_id'] for r in recs for q in r['captions'] + r['questions']}
            trajectories[vid] = dict(
                video_path=f'{group}/{vid}.mp4',
                tracks=_tubedetr_tracks({str(t): tubes[vid][t]
                                         for t in targets}))
        with open(osp.join(root, f'{split}_annotations.json'), 'w') as f:
            f.write(json.dumps(records))
        os.makedirs(osp.join(root, 'tubedetr'), exist_ok=True)
        tubedetr = _tubedetr_preproc(records, trajectories.__getitem__)
        with open(osp.join(root, 'tubedetr', f'{split}.json'), 'w') as f:
            f.write(json.dumps(tubedetr))
        if split != 'train':
            # TubeDETR numbers its queries record by record, questions first
            base, first_id = 0, {}
            for r in records:
                first_id[id(r)] = base
                base += len(r['questions']) + len(r['captions'])
            queries = []
            for r, key, k, qid in vidstg_qids(records):
                q = r[key][k]
                gt = (r['temporal_gt']['begin_fid'], r['temporal_gt']['end_fid'])
                a, boxes = tubes[r['vid']][q['target_id']]
                qtype = 'declarative' if key == 'captions' else 'interrogative'
                seg = r['used_segment']
                video_id = first_id[id(r)] + k + (len(r['questions']) if key == 'captions' else 0)
                queries.append((qid, video_id, qtype, gt, boxes[gt[0] - a:gt[1] - a],
                                r['frame_count'], ((seg['begin_fid'], seg['end_fid']), r['fps'])))
            _write_predictions(
                osp.join(root, f'{split}_submission.json'),
                osp.join(root, 'tubedetr', f'{split}_predictions.json'), queries)
        sizes[split] = dict(queries=num, records=len(records), videos=len(by_vid))
        log(f'vidstg {split}: {sizes[split]}')
    return sizes


def generate_hcstvg(data_dir: str,
                    scale: float = 1.0,
                    fixtures: str = FIXTURES,
                    log=print) -> dict:
    """Write the HC-STVG v2 sets (module docstring) under ``data_dir/hcstvg``."""
    root = osp.join(data_dir, 'hcstvg')
    os.makedirs(root, exist_ok=True)
    with open(osp.join(fixtures, 'hcstvg', 'query_v2.json')) as f:
        queries = list(json.load(f).items())
    tracks, src_size = _box_source(fixtures)
    sizes = {}
    for split in ('val', 'train'):
        num = max(1, int(round(HCSTVG_SPLITS[split] * scale)))
        rng = random.Random(split)
        out = {}
        for i in range(num):
            name, sentence = queries[i % len(queries)]
            stem, ext = osp.splitext(name)
            img_num = rng.choice((450, 500, 600, 750, 900))
            height, width = rng.choice(((720, 1280), (480, 854), (1080, 1920), (360, 640)))
            length = max(2, int(img_num * rng.uniform(0.25, 0.55)))
            st = rng.randint(1, img_num - length)  # 1-based
            ed = st + length - 1
            boxes = _scaled_boxes(tracks, src_size, i, np.arange(st, ed + 1), width, height)
            boxes[:, 2:] -= boxes[:, :2]  # xywh
            out[f'{stem}_{split}{i // len(queries)}{ext}'] = dict(
                English=sentence,
                bbox=boxes.tolist(),
                st_frame=st,
                ed_frame=ed,
                img_num=img_num,
                img_size=[height, width, 3],
                st_time=round((st - 1) * 20.0 / img_num, 3),
                ed_time=round(ed * 20.0 / img_num, 3))
        with open(osp.join(root, f'{split}_v2.json'), 'w') as f:
            f.write(json.dumps(out))
        if split == 'val':
            preds = []
            for name, r in out.items():
                boxes = np.asarray(r['bbox'], dtype=np.float64)
                boxes[:, 2:] += boxes[:, :2]
                span = (r['st_frame'] - 1, r['ed_frame'])
                preds.append((name, None, None, span, boxes, r['img_num'], None))
            _write_predictions(osp.join(root, f'{split}_submission.json'), None, preds)
        sizes[split] = dict(queries=num)
        log(f'hcstvg {split}: {sizes[split]}')
    return sizes


def _jittered_prediction(span: Sequence[int], boxes: np.ndarray, num_frames: int,
                         rng: np.random.Generator) -> tuple:
    """A prediction near a GT tube: span ends moved by up to half its length, boxes shifted
    by up to a third of their size plus a per-frame jitter (float32 values, as a model's),
    held past the GT ends."""
    start, end = span
    length = end - start
    shift = rng.integers(-length // 2 - 1, length // 2 + 2, size=2)
    p_start = int(np.clip(start + shift[0], 0, num_frames - 1))
    p_end = int(np.clip(end + shift[1], p_start + 1, num_frames))
    frames = np.arange(p_start, p_end)
    idx = np.clip(frames - start, 0, length - 1)
    size = np.tile(boxes[idx, 2:] - boxes[idx, :2], 2)
    offset = rng.uniform(-0.33, 0.33, size=4) + rng.normal(0, 0.03, size=(frames.size, 4))
    pred = (boxes[idx] + offset * size).astype(np.float32)
    pred[:, 2] = np.maximum(pred[:, 2], pred[:, 0] + 1)
    pred[:, 3] = np.maximum(pred[:, 3], pred[:, 1] + 1)
    return (p_start, p_end), frames, pred


#: the decoding benchmark's video: 20 s at 30 fps, 640x360 (VidOR's most common size), H.264
#: with x264's default key-frame interval (frames 0, 250, 500 are key frames)
VIDEO = dict(num_frames=600, fps=30, height=360, width=640)


def generate_video(path: str) -> None:
    """A moving scene (a gradient drifting under two moving boxes), H.264 ``yuv420p``."""
    import av
    n, h, w = VIDEO['num_frames'], VIDEO['height'], VIDEO['width']
    yy, xx = np.mgrid[0:h, 0:w]
    with av.open(path, 'w') as container:
        stream = container.add_stream('libx264', rate=VIDEO['fps'])
        stream.width, stream.height, stream.pix_fmt = w, h, 'yuv420p'
        stream.options = {'preset': 'fast', 'crf': '23'}
        for t in range(n):
            img = np.empty((h, w, 3), dtype=np.uint8)
            img[..., 0] = (xx + 3 * t) % 256
            img[..., 1] = (yy + 2 * t) % 256
            img[..., 2] = (xx + yy) % 256
            for k, (vx, vy) in enumerate(((4, 2), (-3, 1))):
                x0, y0 = (50 + vx * t + 200 * k) % (w - 80), (40 + vy * t + 100 * k) % (h - 80)
                img[y0:y0 + 80, x0:x0 + 80] = (255 * k, 255 - 255 * k, 128)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format='rgb24')):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def generate(data_dir: str, scale: float = 1.0, log=print) -> dict:
    """Every set (module docstring); skipped when ``data_dir/sizes.json`` says it exists at
    this scale."""
    marker = osp.join(data_dir, 'sizes.json')
    if osp.exists(marker):
        with open(marker) as f:
            sizes = json.load(f)
        if sizes.get('scale') == scale:
            return sizes
    os.makedirs(data_dir, exist_ok=True)
    generate_video(osp.join(data_dir, 'video.mp4'))
    sizes = dict(
        scale=scale,
        vidstg=generate_vidstg(data_dir, scale, log=log),
        hcstvg=generate_hcstvg(data_dir, scale, log=log))
    with open(marker, 'w') as f:
        f.write(json.dumps(sizes))
    return sizes


# ---------------------------------------------------------------------------- references
def _np_box_iou(boxes1: np.ndarray, boxes2: np.ndarray) -> np.ndarray:
    """TubeDETR's ``util/box_ops.py`` ``np_box_iou`` (numpy, pairwise)."""
    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])
    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])
    lt = np.maximum(boxes1[:, None, :2], boxes2[:, :2])
    rb = np.minimum(boxes1[:, None, 2:], boxes2[:, 2:])
    wh = (rb - lt).clip(min=0)
    inter = wh[:, :, 0] * wh[:, :, 1]
    return inter / (area1[:, None] + area2 - inter)


def ref_tubedetr_vidstg_preproc(ann_file: str, vidor_dir: str) -> dict:
    """TubeDETR's ``preproc/preproc_vidstg.py`` for the test split, from the raw files: every
    VidOR box file of ``vidor_dir`` (``<group>/<vid>.json``) read with ``json`` and turned
    into per-object trajectories keyed by frame, then the split's queries (questions first)
    with their targets' trajectories and the script's span checks. The script's JSON round
    trips (it writes ``vidor_validation.json`` and ``test.json`` and reads them back) are left
    out, which favours the reference; the keys are strings, as after those round trips."""
    vidor, categories = {}, {}
    for group in sorted(os.listdir(vidor_dir)):
        for name in sorted(os.listdir(osp.join(vidor_dir, group))):
            with open(osp.join(vidor_dir, group, name), 'r') as f:
                annot = json.load(f)
            out = dict(
                video_id=annot['video_id'],
                video_path=annot['video_path'],
                frame_count=annot['frame_count'],
                fps=annot['fps'],
                width=annot['width'],
                height=annot['height'])
            assert len(set(x['tid']
                           for x in annot['subject/objects'])) == len(annot['subject/objects'])
            out['objects'] = {obj['tid']: obj['category'] for obj in annot['subject/objects']}
            trajectories = {}
            for i_frame, traj in enumerate(annot['trajectories']):
                for bbox in traj:
                    tid = str(bbox['tid'])
                    if tid not in trajectories:
                        trajectories[tid] = {}
                        category = out['objects'][bbox['tid']]
                        category_id = categories.setdefault(category, len(categories))
                    else:
                        category_id = categories[out['objects'][bbox['tid']]]
                    b = bbox['bbox']
                    trajectories[tid][str(i_frame)] = dict(
                        bbox=[b['xmin'], b['ymin'], b['xmax'] - b['xmin'], b['ymax'] - b['ymin']],
                        generated=bbox['generated'],
                        tracker=bbox['tracker'],
                        category_id=category_id)
            out['trajectories'] = trajectories
            vidor[annot['video_id']] = out
    with open(ann_file, 'r') as f:
        annotations = json.load(f)
    return _tubedetr_preproc(
        annotations,
        lambda vid: dict(video_path=vidor[vid]['video_path'], tracks=vidor[vid]['trajectories']))


def ref_tubedetr_vidstg_init(ann_file, fps: float = 5, video_max_len: int = 200) -> dict:
    """TubeDETR's ``VideoModulatedSTGrounding.__init__`` (``datasets/vidstg.py``, test mode,
    ``tmp_loc=True``): its preprocessed annotation file read with ``json`` (or the
    preprocessing's output, a dict), then the frames it samples per query (the torch
    ``Dataset`` base and the video decoding are not used)."""
    if isinstance(ann_file, dict):
        annotations = ann_file
    else:
        with open(ann_file, 'r') as f:
            annotations = json.load(f)
    vid2imgids = {}
    for video in annotations['videos']:
        video_fps = video['fps']
        sampling_rate = fps / video_fps
        assert sampling_rate <= 1
        start_frame, end_frame = video['start_frame'], video['end_frame']
        frame_ids = [start_frame]
        for frame_id in range(start_frame, end_frame):
            if int(frame_ids[-1] * sampling_rate) < int(frame_id * sampling_rate):
                frame_ids.append(frame_id)
        if len(frame_ids) > video_max_len:
            frame_ids = [
                frame_ids[(j * len(frame_ids)) // video_max_len] for j in range(video_max_len)
            ]
        inter_frames = set(frame_id for frame_id in frame_ids
                           if video['tube_start_frame'] <= frame_id < video['tube_end_frame'])
        vid2imgids[video['video_id']] = [frame_ids, inter_frames]
    return dict(annotations=annotations, vid2imgids=vid2imgids)


def ref_tubedetr_vidstg_eval(ann_file: str,
                             pred_file: str,
                             iou_thresholds=(0.3, 0.5),
                             fps: float = 5,
                             video_max_len: int = 200) -> dict:
    """TubeDETR's ``VidSTGEvaluator`` (``datasets/vidstg_eval.py``: ``VidSTGiouEvaluator``
    built from its preprocessed file, ``evaluate`` and ``summarize``), as released, with its
    predictions (a box per sampled frame, the span per query) read from a JSON file."""
    with open(pred_file) as f:
        dumped = json.load(f)
    predictions = dumped['predictions']
    video_predictions = {int(k): v for k, v in dumped['video_predictions'].items()}
    with open(ann_file, 'r') as f:
        anns = json.load(f)
    vid2imgids, vid2steds, img2box = {}, {}, {}
    for video in anns['videos']:
        video_id = video['video_id']
        sampling_rate = fps / video['fps']
        assert sampling_rate <= 1
        start_frame, end_frame = video['start_frame'], video['end_frame']
        frame_ids = [start_frame]
        for frame_id in range(start_frame, end_frame):
            if int(frame_ids[-1] * sampling_rate) < int(frame_id * sampling_rate):
                frame_ids.append(frame_id)
        if len(frame_ids) > video_max_len:
            frame_ids = [
                frame_ids[(j * len(frame_ids)) // video_max_len] for j in range(video_max_len)
            ]
        inter_frames = []
        vid2steds[video_id] = [video['tube_start_frame'], video['tube_end_frame']]
        for frame_id in frame_ids:
            if video['tube_start_frame'] <= frame_id < video['tube_end_frame']:
                x1, y1, w, h = anns['trajectories'][video['original_video_id']][str(
                    video['target_id'])][str(frame_id)]['bbox']
                img2box[f'{video_id}_{frame_id}'] = [[x1, y1, x1 + w, y1 + h]]
                inter_frames.append(f'{video_id}_{frame_id}')
        vid2imgids[video_id] = [frame_ids, inter_frames]
    vid_metrics = {}
    for video_id, video_pred in video_predictions.items():
        gt_sted, pred_sted = vid2steds[video_id], video_pred['sted']
        qtype = video_pred['qtype']
        frame_ids, inter_frames = vid2imgids[video_id]
        max_start, min_end = max(gt_sted[0], pred_sted[0]), min(gt_sted[1], pred_sted[1])
        min_start, max_end = min(gt_sted[0], pred_sted[0]), max(gt_sted[1], pred_sted[1])
        if min_end <= max_start:
            tiou = 0
        else:
            intersection = min_end - max_start
            union = (gt_sted[1] - gt_sted[0]) + (pred_sted[1] - pred_sted[0]) - intersection
            tiou = intersection / union
        vid_metrics[video_id] = dict(
            gt_sted=gt_sted, pred_sted=pred_sted, tiou=tiou, qtype=qtype, img_metrics={})
        union_predgt = [f for f in frame_ids if min_start <= f < max_end]
        inter_predgt = set(f for f in frame_ids if max_start <= f < min_end)
        viou = gt_viou = 0
        for image_id in inter_frames:
            pred_boxes = predictions[image_id]['boxes']
            gt_boxes = img2box[image_id]
            iou = _np_box_iou(np.array(pred_boxes), np.array(gt_boxes))[0][0]
            frame_id = int(image_id.split('_')[1])
            vid_metrics[video_id]['img_metrics'][image_id] = dict(
                iou=iou, pred_box=pred_boxes[0], gt_box=gt_boxes[0])
            if frame_id in inter_predgt:
                viou += iou
            gt_viou += iou
        viou = viou / max(len(union_predgt), 1)
        vid_metrics[video_id]['viou'] = viou
        for thresh in iou_thresholds:
            vid_metrics[video_id][f'viou@{thresh}'] = int(viou > thresh)
        vid_metrics[video_id]['gt_viou'] = gt_viou / max(len(inter_frames), 1)
    # summarize: means per sentence type (and, for the comparison, over all queries)
    out = {}
    for qtype in sorted(set(x['qtype'] for x in vid_metrics.values())):
        group = [x for x in vid_metrics.values() if x['qtype'] == qtype]
        out[f'{qtype}/m_tIoU'] = sum(x['tiou'] for x in group) / len(group)
        out[f'{qtype}/m_vIoU'] = sum(x['viou'] for x in group) / len(group)
    out['m_vIoU'] = sum(x['viou'] for x in vid_metrics.values()) / len(vid_metrics)
    return out


def ref_hcvg_eval(ann_file: str, pred_file: str) -> dict:
    """The HC-STVG challenge's ``eval_hcvg.py`` the simple way (``hcstvg_official``,
    ``docs/evaluation_protocols.md``): GT boxes keyed by their 1-based frame, the predicted
    boxes matched by frame key, a Python loop over the GT frames, IoU without ``+ 1``,
    ``all_frame = max(ed) - min(st) + 1``; a missing prediction scores 0."""
    with open(ann_file) as f:
        gts = json.load(f)
    with open(pred_file) as f:
        preds = json.load(f)
    tious, vious = [], []
    for vid, gt in gts.items():
        pred = preds.get(vid)
        if pred is None:
            tious.append(0.0)
            vious.append(0.0)
            continue
        gt_boxes = {}
        for k, (x, y, w, h) in enumerate(gt['bbox']):
            gt_boxes[str(gt['st_frame'] + k)] = (x, y, x + w, y + h)
        all_frame = max(gt['ed_frame'], pred['ed_frame']) - min(gt['st_frame'],
                                                                pred['st_frame']) + 1
        hits, iou_sum = 0, 0.0
        for key, g in gt_boxes.items():
            p = pred['bbox'].get(key)
            if p is None:
                continue
            hits += 1
            iw = max(0.0, min(p[2], g[2]) - max(p[0], g[0]))
            ih = max(0.0, min(p[3], g[3]) - max(p[1], g[1]))
            inter = iw * ih
            union = (p[2] - p[0]) * (p[3] - p[1]) + (g[2] - g[0]) * (g[3] - g[1]) - inter
            iou_sum += inter / union if union > 0 else 0.0
        tious.append(hits / all_frame)
        vious.append(iou_sum / all_frame)
    return dict(m_tIoU=sum(tious) / len(tious), m_vIoU=sum(vious) / len(vious))


def ref_dense_eval(ann_file: str, pred_file: str) -> dict:
    """``dense`` (STCAT family's formula, every frame of the half-open GT span) the simple
    way on an HC-STVG v2 file and a submission (one box per frame of the predicted span): per
    query, numpy IoU over the frames of the intersection / frames of the union."""
    with open(ann_file) as f:
        gts = json.load(f)
    with open(pred_file) as f:
        preds = json.load(f)
    tious, vious = [], []
    for vid, gt in gts.items():
        pred = preds[vid]
        g_start, g_end = gt['st_frame'] - 1, gt['st_frame'] - 1 + len(gt['bbox'])
        p_start, p_end = pred['st_frame'] - 1, pred['ed_frame']
        gt_boxes = np.array(gt['bbox'], dtype=np.float64)
        gt_boxes[:, 2:] += gt_boxes[:, :2]
        frames = sorted(int(k) - 1 for k in pred['bbox'])
        pred_boxes = np.array([pred['bbox'][str(f + 1)] for f in frames], dtype=np.float64)
        start, end = max(g_start, p_start), min(g_end, p_end)
        union = max(g_end, p_end) - min(g_start, p_start)
        if end <= start:
            tious.append(0.0)
            vious.append(0.0)
            continue
        inter = np.arange(start, end)
        p = np.stack([np.interp(inter, frames, pred_boxes[:, c]) for c in range(4)], 1)
        g = gt_boxes[inter - g_start]
        wh = (np.minimum(p[:, 2:], g[:, 2:]) - np.maximum(p[:, :2], g[:, :2])).clip(min=0)
        i = wh[:, 0] * wh[:, 1]
        u = (p[:, 2] - p[:, 0]) * (p[:, 3] - p[:, 1]) + (g[:, 2] - g[:, 0]) * (g[:, 3] -
                                                                               g[:, 1]) - i
        tious.append((end - start) / union)
        vious.append(float((i / u).sum()) / union)
    return dict(m_tIoU=sum(tious) / len(tious), m_vIoU=sum(vious) / len(vious))


# ---------------------------------------------------------------------------- works
def _rss_kb() -> int:
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _timed(fn, *args, **kwargs):
    """``fn(...)``, its CPU time and the growth of the peak RSS while it ran."""
    import time
    rss, start = _rss_kb(), time.process_time()
    result = fn(*args, **kwargs)
    return result, dict(work_cpu=time.process_time() - start, work_rss_kb=_rss_kb() - rss)


def _src() -> str:
    """The mmstvg source tree a child measures (``--baseline-src`` for the 'before' side)."""
    return os.environ.get('BENCH_MMSTVG_SRC', REPO)


def _load_tool(name: str):
    """The module of ``tools/analysis_tools/<name>`` of the measured source tree (loaded
    from its file, as ``mmstvg.testing.import_script`` does, without importing
    ``mmstvg.testing``)."""
    import importlib.util
    path = osp.join(_src(), 'tools', 'analysis_tools', name)
    spec = importlib.util.spec_from_file_location(osp.splitext(name)[0], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _paths(data_dir: str) -> dict:
    v, h = osp.join(data_dir, 'vidstg'), osp.join(data_dir, 'hcstvg')
    return dict(
        vidstg_test=osp.join(v, 'test_annotations.json'),
        vidstg_train=osp.join(v, 'train_annotations.json'),
        vidor_test=osp.join(v, 'vidor', 'validation'),
        vidor_train=osp.join(v, 'vidor', 'training'),
        vidstg_test_pred=osp.join(v, 'test_submission.json'),
        vidstg_test_compact=osp.join(v, 'test_submission.npz'),
        tubedetr_test=osp.join(v, 'tubedetr', 'test.json'),
        tubedetr_test_pred=osp.join(v, 'tubedetr', 'test_predictions.json'),
        hcstvg_val=osp.join(h, 'val_v2.json'),
        hcstvg_val_pred=osp.join(h, 'val_submission.json'))


def child_construct_mmstvg(data_dir: str, split: str = 'test', box_cache: bool = True) -> dict:
    """mmstvg's ``VidSTGDataset`` of a split (test mode, no pipeline; imports not timed);
    ``box_cache=False``: every VidOR box file parsed (``box_cache_dir=False``)."""
    from mmstvg.datasets import VidSTGDataset
    p = _paths(data_dir)
    kwargs = {} if box_cache else dict(box_cache_dir=False)
    ds, stats = _timed(
        VidSTGDataset,
        p[f'vidstg_{split}'],
        data_prefix=dict(video='', vidor_anno=p[f'vidor_{split}']),
        test_mode=split != 'train',
        **kwargs)
    return dict(stats, queries=len(ds))


def child_memory_train(data_dir: str, workers: int = 2) -> dict:
    """Peak RSS of the VidSTG train dataset (80,684 queries) in the main process, and the
    memory each DataLoader worker adds (its USS: pages it does not share with the main
    process) after reading every query (``get_data_info``, no pipeline)."""
    import psutil
    import torch

    from mmstvg.datasets import VidSTGDataset
    p = _paths(data_dir)
    before = psutil.Process().memory_info().rss
    ds, stats = _timed(
        VidSTGDataset, p['vidstg_train'], data_prefix=dict(video='', vidor_anno=p['vidor_train']))
    built = psutil.Process().memory_info().rss

    def worker_memory(_):
        info = torch.utils.data.get_worker_info()
        proc = psutil.Process()
        start = proc.memory_full_info().uss
        for i in range(info.id, len(ds), info.num_workers):
            ds.get_data_info(i)
        return [(info.id, start, proc.memory_full_info().uss, proc.memory_info().rss)]

    # the workers are forked from this process, which holds the dataset, as a training
    # DataLoader's workers are
    per_worker = {}
    for batch in torch.utils.data.DataLoader(
            _WorkerProbe(worker_memory, workers), batch_size=None, num_workers=workers):
        for wid, start, end, rss in batch:
            per_worker[wid] = dict(
                uss_start_mb=start / 2**20, uss_end_mb=end / 2**20, rss_mb=rss / 2**20)
    return dict(
        stats,
        queries=len(ds),
        main_rss_before_mb=before / 2**20,
        main_rss_built_mb=built / 2**20,
        workers=per_worker,
        serialized=bool(getattr(ds, 'serialize_data', False)))


class _WorkerProbe:
    """A dataset of one item per worker whose item runs ``fn`` in that worker."""

    def __init__(self, fn, workers: int) -> None:
        self.fn, self.workers = fn, workers

    def __len__(self) -> int:
        return self.workers

    def __getitem__(self, idx: int):
        return self.fn(idx)


def child_construct_reference(data_dir: str) -> dict:
    """TubeDETR's dataset init (``ref_tubedetr_vidstg_init``) of the test split."""
    out, stats = _timed(ref_tubedetr_vidstg_init, _paths(data_dir)['tubedetr_test'])
    return dict(stats, queries=len(out['vid2imgids']))


def child_construct_reference_raw(data_dir: str) -> dict:
    """TubeDETR's preprocessing of the test split from the raw VidSTG + VidOR files
    (``ref_tubedetr_vidstg_preproc``), then its dataset init on the result."""
    p = _paths(data_dir)

    def build():
        return ref_tubedetr_vidstg_init(
            ref_tubedetr_vidstg_preproc(p['vidstg_test'], p['vidor_test']))

    out, stats = _timed(build)
    return dict(stats, queries=len(out['vid2imgids']))


def child_eval_mmstvg(data_dir: str, dataset: str, protocol: str, pred: str = None) -> dict:
    """``tools/analysis_tools/eval_submission.py`` (the whole process is measured); ``pred``
    names the submission (a key of ``_paths``; default the dense JSON)."""
    import contextlib
    import io
    eval_submission = _load_tool('eval_submission.py')
    p = _paths(data_dir)
    if dataset == 'vidstg_test':
        argv = ['--ann', p['vidstg_test'], '--vidor-dir', p['vidor_test']]
    else:
        argv = ['--ann', p[dataset]]
    argv += ['--pred', p[pred or f'{dataset}_pred'], '--protocol', protocol]
    with contextlib.redirect_stdout(io.StringIO()):
        metrics = eval_submission.main(argv)
    return dict(m_vIoU=metrics['m_vIoU'], m_tIoU=metrics['m_tIoU'])


def child_eval_reference(data_dir: str, dataset: str, protocol: str) -> dict:
    p = _paths(data_dir)
    if dataset == 'vidstg_test':
        out = ref_tubedetr_vidstg_eval(p['tubedetr_test'], p['tubedetr_test_pred'])
    elif protocol == 'hcstvg_official':
        out = ref_hcvg_eval(p[dataset], p[f'{dataset}_pred'])
    else:
        out = ref_dense_eval(p[dataset], p[f'{dataset}_pred'])
    return dict(m_vIoU=out['m_vIoU'])


def child_eval_tubedetr(data_dir: str, checkout: str) -> dict:
    """TubeDETR's own ``VidSTGEvaluator`` (``datasets/vidstg_eval.py`` of a checkout) on its
    preprocessed test file and predictions. Shims: ``util.dist`` (torch.distributed and
    ``hostlist``, for the gathering the evaluator does not need in one process) is replaced by
    a one-process stand-in; ``util.box_ops`` imports torchvision for torch functions the
    evaluator does not call (``np_box_iou`` is numpy), so a stand-in ``torchvision.ops.boxes``
    is given; torch itself is imported for real, as TubeDETR does."""
    import contextlib
    import importlib.util
    import io
    import types
    util = types.ModuleType('util')
    util.__path__ = [osp.join(checkout, 'util')]
    dist = types.ModuleType('util.dist')
    dist.is_main_process = lambda: True
    dist.all_gather = lambda data: [data]
    boxes = types.ModuleType('torchvision.ops.boxes')
    boxes.box_area = None
    for name, module in (('util', util), ('util.dist', dist), ('torchvision',
                                                               types.ModuleType('torchvision')),
                         ('torchvision.ops',
                          types.ModuleType('torchvision.ops')), ('torchvision.ops.boxes', boxes)):
        sys.modules[name] = module

    def load(name, path):
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module

    load('util.box_ops', osp.join(checkout, 'util', 'box_ops.py'))
    vidstg_eval = load('tubedetr_vidstg_eval', osp.join(checkout, 'datasets', 'vidstg_eval.py'))
    p = _paths(data_dir)
    with open(p['tubedetr_test_pred']) as f:
        dumped = json.load(f)
    evaluator = vidstg_eval.VidSTGEvaluator(osp.dirname(p['tubedetr_test']), 'test')
    evaluator.update(dumped['predictions'])
    evaluator.video_update({int(k): v for k, v in dumped['video_predictions'].items()})
    with contextlib.redirect_stdout(io.StringIO()):
        evaluator.summarize()
    results = evaluator.results
    return dict(m_vIoU=sum(x['viou'] for x in results.values()) / len(results))


def child_load_mmstvg(data_dir: str, file: str = 'vidstg_test_pred') -> dict:
    """A submission file read into tubes (``mmstvg.evaluation.functional``)."""
    from mmstvg.evaluation.functional import parse_submission
    try:
        from mmstvg.evaluation.functional import load_submission
    except ImportError:  # before the compact form (--baseline-src)
        from mmstvg.utils import load_json as load_submission
    path = _paths(data_dir)[file]
    tubes, errors = parse_submission(load_submission(path), path)
    assert not errors
    return dict(entries=len(tubes))


def child_load_reference(data_dir: str, file: str = 'vidstg_test_pred') -> dict:
    """A submission file read with ``json``."""
    with open(_paths(data_dir)[file]) as f:
        return dict(entries=len(json.load(f)))


#: the late clip of the decoding benchmark (half-open)
LATE_CLIP = (420, 600)


def child_decode_mmstvg(data_dir: str, clip: Sequence[int] = LATE_CLIP) -> dict:
    """``mmstvg.utils.video_io.decode_frames`` of the frames ``[clip)`` (imports not timed)."""
    from mmstvg.utils.video_io import decode_frames
    path = osp.join(data_dir, 'video.mp4')
    (imgs, _), stats = _timed(decode_frames, path, list(range(*clip)))
    return dict(
        stats, frames=len(imgs), checksum=float(sum(float(i[::37, ::41].mean()) for i in imgs)))


def ref_decode(path: str, clip: Sequence[int]) -> list:
    """PyAV the simple way: seek to the key frame before the clip (none for a clip from
    frame 0), decode, keep the frames whose timestamp falls in the clip (a constant rate),
    RGB arrays."""
    import av
    start, end = clip
    out = []
    with av.open(path) as container:
        stream = container.streams.video[0]
        fps, tb = float(stream.average_rate), float(stream.time_base)
        if start > 0:
            container.seek(
                int(round(start / fps / tb)), stream=stream, backward=True, any_frame=False)
        for frame in container.decode(stream):
            idx = int(round(frame.pts * tb * fps))
            if idx >= end:
                break
            if idx >= start:
                out.append(frame.to_ndarray(format='rgb24'))
    return out


def child_decode_reference(data_dir: str, clip: Sequence[int] = LATE_CLIP) -> dict:
    path = osp.join(data_dir, 'video.mp4')
    imgs, stats = _timed(ref_decode, path, clip)
    return dict(
        stats, frames=len(imgs), checksum=float(sum(float(i[::37, ::41].mean()) for i in imgs)))


def child_help(data_dir: str) -> dict:
    """``eval_submission.py --help`` (its imports)."""
    import contextlib
    import io
    eval_submission = _load_tool('eval_submission.py')
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            eval_submission.parse_args(['--help'])
        except SystemExit:
            pass
    return dict(
        torch_imported='torch' in sys.modules,
        mmaction_models_imported='mmaction.models' in sys.modules)


CHILDREN = {
    name[len('child_'):]: fn
    for name, fn in dict(globals()).items() if name.startswith('child_')
}


def run_child(spec: dict, data_dir: str, env: dict) -> dict:
    """Run one side of a work in a fresh process; its CPU time (user + system, ``wait4``),
    its peak RSS and what it printed (its last line, JSON)."""
    import subprocess
    import tempfile
    cmd = [
        sys.executable,
        osp.abspath(__file__), '--child', spec['child'], '--data-dir', data_dir, '--child-args',
        json.dumps(spec.get('args', {}))
    ]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text = out.read().decode()
        if proc.returncode:
            raise RuntimeError(f'{" ".join(cmd)} failed ({proc.returncode}):\n' +
                               err.read().decode()[-3000:])
    result = json.loads(text.strip().splitlines()[-1])
    result.update(cpu=usage.ru_utime + usage.ru_stime, rss_kb=usage.ru_maxrss)
    return result


#: the works: name -> the sides (child and its arguments), what is compared (``work_cpu``:
#: the work alone, in a process that has done its imports; ``cpu``: the whole process), the
#: target on the ratio mmstvg / reference, and whether the 'before' side applies
def works(paths: dict, tubedetr: Optional[str] = None) -> List[dict]:
    out = [
        dict(
            name='eval_submission.py --help (no torch / mmaction.models import)',
            key='help',
            sides=dict(mmstvg=dict(child='help')),
            measure='cpu',
            target=('s', 2.0),
            before=True),
        dict(
            name="VidSTG test dataset construction vs TubeDETR's dataset init",
            key='construct_vidstg_test',
            sides=dict(
                mmstvg=dict(child='construct_mmstvg'),
                reference=dict(child='construct_reference')),
            measure='work_cpu',
            target=('<=', 0.5),
            before=True),
        dict(
            name='... the same, every VidOR box file parsed (`box_cache_dir=False`: first build)',
            key='construct_vidstg_test_nocache',
            sides=dict(
                mmstvg=dict(child='construct_mmstvg', args=dict(box_cache=False)),
                reference=dict(child='construct_reference')),
            measure='work_cpu',
            target=None),
        dict(
            name='VidSTG test from the raw VidSTG + VidOR files (first build, no box cache) vs '
            "TubeDETR's preprocessing (`preproc_vidstg.py`) + its dataset init",
            key='construct_vidstg_test_raw',
            sides=dict(
                mmstvg=dict(child='construct_mmstvg', args=dict(box_cache=False)),
                reference=dict(child='construct_reference_raw')),
            measure='work_cpu',
            target=('<=', 0.5)),
        dict(
            name="VidSTG test evaluation, `sampled`, vs TubeDETR's VidSTGEvaluator",
            key='eval_vidstg_sampled',
            sides=dict(
                mmstvg=dict(
                    child='eval_mmstvg', args=dict(dataset='vidstg_test', protocol='sampled')),
                reference=dict(
                    child='eval_reference', args=dict(dataset='vidstg_test', protocol='sampled'))),
            measure='cpu',
            target=('<=', 0.5),
            before=True),
        dict(
            name="... the same, the submission in the compact form (.npz)",
            key='eval_vidstg_sampled_compact',
            sides=dict(
                mmstvg=dict(
                    child='eval_mmstvg',
                    args=dict(
                        dataset='vidstg_test', protocol='sampled', pred='vidstg_test_compact')),
                reference=dict(
                    child='eval_reference', args=dict(dataset='vidstg_test', protocol='sampled'))),
            measure='cpu',
            target=('<=', 0.5)),
        dict(
            name="VidSTG test evaluation, `sampled`, vs TubeDETR's VidSTGEvaluator (its code, "
            'with torch)',
            key='eval_vidstg_sampled_tubedetr',
            sides=dict(
                mmstvg=dict(
                    child='eval_mmstvg', args=dict(dataset='vidstg_test', protocol='sampled')),
                reference=dict(child='eval_tubedetr', args=dict(checkout=tubedetr))),
            measure='cpu',
            target=('<=', 0.5),
            needs_tubedetr=True),
        dict(
            name='HC-STVG v2 val evaluation, `hcstvg_official`, vs eval_hcvg.py (simple form)',
            key='eval_hcstvg_official',
            sides=dict(
                mmstvg=dict(
                    child='eval_mmstvg',
                    args=dict(dataset='hcstvg_val', protocol='hcstvg_official')),
                reference=dict(
                    child='eval_reference',
                    args=dict(dataset='hcstvg_val', protocol='hcstvg_official'))),
            measure='cpu',
            target=('<=', 1.0),
            before=True),
        dict(
            name='HC-STVG v2 val evaluation, `dense`, vs a json + numpy evaluator',
            key='eval_hcstvg_dense',
            sides=dict(
                mmstvg=dict(
                    child='eval_mmstvg', args=dict(dataset='hcstvg_val', protocol='dense')),
                reference=dict(
                    child='eval_reference', args=dict(dataset='hcstvg_val', protocol='dense'))),
            measure='cpu',
            target=('<=', 1.0),
            before=True),
        dict(
            name='a clip late in the video (frames 420-600 of 600) vs PyAV seeking to the key '
            'frame',
            key='decode_late',
            sides=dict(
                mmstvg=dict(child='decode_mmstvg'), reference=dict(child='decode_reference')),
            measure='work_cpu',
            target=('<=', 1.1),
            before=True),
        dict(
            name='a whole video (frames 0-600) vs a raw PyAV decode',
            key='decode_full',
            sides=dict(
                mmstvg=dict(child='decode_mmstvg', args=dict(clip=[0, VIDEO['num_frames']])),
                reference=dict(child='decode_reference',
                               args=dict(clip=[0, VIDEO['num_frames']]))),
            measure='work_cpu',
            target=('<=', 1.1),
            before=True),
        dict(
            name='VidSTG test submission, the compact form (.npz) vs the dense JSON, both read '
            'into tubes by mmstvg',
            key='load_compact',
            sides=dict(
                mmstvg=dict(child='load_mmstvg', args=dict(file='vidstg_test_compact')),
                reference=dict(child='load_mmstvg')),
            measure='cpu',
            target=('<=', 0.25)),
        dict(
            name='VidSTG test submission, the dense JSON read into tubes vs `json.load` alone',
            key='load_dense',
            sides=dict(mmstvg=dict(child='load_mmstvg'), reference=dict(child='load_reference')),
            measure='cpu',
            target=None,
            before=True),
    ]
    return [w for w in out if tubedetr or not w.get('needs_tubedetr')]


def _summary(values: List[float]) -> dict:
    return dict(median=float(np.median(values)), min=float(min(values)), max=float(max(values)))


def _env(data_dir: str, src: str) -> dict:
    """A child's environment: the measured source tree first on the path, one thread, the
    VidOR box cache in the data folder."""
    return dict(
        os.environ,
        PYTHONPATH=src,
        BENCH_MMSTVG_SRC=src,
        OMP_NUM_THREADS='1',
        MMSTVG_CACHE_DIR=osp.join(osp.abspath(data_dir), 'cache'))


def measure(work: dict,
            data_dir: str,
            runs: int,
            baseline_src: Optional[str] = None,
            log=print) -> dict:
    """``runs`` rounds of the work's sides, interleaved (the order rotates every round)."""
    sides = dict(work['sides'])
    if baseline_src and work.get('before'):
        sides['before'] = dict(sides['mmstvg'], src=baseline_src)
    names = list(sides)
    results = {name: [] for name in names}
    for r in range(runs):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            spec = sides[name]
            res = run_child(spec, data_dir, _env(data_dir, spec.get('src', REPO)))
            results[name].append(res)
            log(f'  {work["key"]} round {r} {name}: {res[work["measure"]]:.2f} s CPU, '
                f'peak RSS {res["rss_kb"] / 1024:.0f} MB')
    out = dict(
        name=work['name'],
        key=work['key'],
        measure=work['measure'],
        target=work['target'],
        sides={})
    for name in names:
        out['sides'][name] = dict(
            cpu=_summary([r[work['measure']] for r in results[name]]),
            rss_mb=_summary([r['rss_kb'] / 1024 for r in results[name]]),
            runs=results[name])
    if 'm_vIoU' in results['mmstvg'][0] and 'm_vIoU' in results.get('reference', [{}])[0]:
        out['m_vIoU'] = dict(
            mmstvg=results['mmstvg'][0]['m_vIoU'], reference=results['reference'][0]['m_vIoU'])
    for name in names:
        if name != 'reference' and 'reference' in results:
            ratios = [
                a[work['measure']] / b[work['measure']]
                for a, b in zip(results[name], results['reference'])
            ]
            out['sides'][name]['ratio'] = _summary(ratios)
    return out


def measure_memory(data_dir: str,
                   runs: int,
                   baseline_src: Optional[str] = None,
                   log=print) -> dict:
    """The VidSTG train split's memory (:func:`child_memory_train`), mmstvg and 'before'
    interleaved."""
    sides = dict(mmstvg=REPO)
    if baseline_src:
        sides['before'] = baseline_src
    results = {name: [] for name in sides}
    names = list(sides)
    for r in range(runs):
        for name in names[r % len(names):] + names[:r % len(names)]:
            res = run_child(dict(child='memory_train'), data_dir, _env(data_dir, sides[name]))
            results[name].append(res)
            log(f'  memory_train round {r} {name}: peak RSS {res["rss_kb"] / 1024:.0f} MB, '
                f'construction {res["work_cpu"]:.1f} s CPU')
    out = {}
    for name, res in results.items():
        out[name] = dict(
            queries=res[0]['queries'],
            cpu=_summary([x['work_cpu'] for x in res]),
            peak_rss_mb=_summary([x['rss_kb'] / 1024 for x in res]),
            growth_mb=_summary([x['work_rss_kb'] / 1024 for x in res]),
            rss_before_mb=_summary([x['main_rss_before_mb'] for x in res]),
            worker_uss_growth_mb=_summary(
                [w['uss_end_mb'] - w['uss_start_mb'] for x in res for w in x['workers'].values()]),
            serialized=res[0]['serialized'])
    return out


def _fmt(summary: dict, digits: int = 2) -> str:
    return (f'{summary["median"]:.{digits}f} ({summary["min"]:.{digits}f}-'
            f'{summary["max"]:.{digits}f})')


def _target(row: dict) -> Tuple[str, str]:
    """(the target, whether it holds) of a row."""
    if row['target'] is None:
        return '-', '-'
    kind, value = row['target']
    mm = row['sides']['mmstvg']
    if kind == 's':
        return f'< {value} s', 'yes' if mm['cpu']['median'] < value else 'NO'
    return f'<= {value}x', 'yes' if mm['ratio']['median'] <= value else 'NO'


def table(rows: List[dict]) -> str:
    """The Markdown table of the measured rows (medians, ranges in parentheses)."""
    lines = [
        '| work | mmstvg CPU s | reference CPU s | mmstvg / reference | target | holds | '
        'peak RSS MB mmstvg / reference |', '| --- | --- | --- | --- | --- | --- | --- |'
    ]
    for row in rows:
        mm, ref = row['sides']['mmstvg'], row['sides'].get('reference')
        target, holds = _target(row)
        rss = f'{mm["rss_mb"]["median"]:.0f}'
        if ref:
            rss += f' / {ref["rss_mb"]["median"]:.0f}'
        lines.append(f'| {row["name"]} | {_fmt(mm["cpu"])} | '
                     f'{_fmt(ref["cpu"]) if ref else "-"} | '
                     f'{_fmt(mm["ratio"]) + "x" if "ratio" in mm else "-"} | {target} | '
                     f'{holds} | {rss} |')
        if 'before' in row['sides']:
            b = row['sides']['before']
            lines.append(f'| ... mmstvg before (`--baseline-src`) | {_fmt(b["cpu"])} | - | '
                         f'{_fmt(b["ratio"]) + "x" if "ratio" in b else "-"} | | | '
                         f'{b["rss_mb"]["median"]:.0f} |')
    return '\n'.join(lines)


def memory_table(memory: dict) -> str:
    lines = [
        '| VidSTG train dataset | queries | construction CPU s | main process peak RSS MB | '
        'main process RSS growth MB | each DataLoader worker, memory added after reading every '
        'query (USS) MB |', '| --- | --- | --- | --- | --- | --- |'
    ]
    for name, m in memory.items():
        lines.append(f'| {name} | {m["queries"]} | {_fmt(m["cpu"], 1)} | '
                     f'{_fmt(m["peak_rss_mb"], 0)} | {_fmt(m["growth_mb"], 0)} | '
                     f'{_fmt(m["worker_uss_growth_mb"], 1)} |')
    return '\n'.join(lines)


#: the markers of the generated part of ``--out``
BEGIN, END = '<!-- benchmark_data.py: begin -->', '<!-- benchmark_data.py: end -->'


def write_markdown(path: str, text: str) -> None:
    """Replace the part of ``path`` between :data:`BEGIN` and :data:`END` with ``text``
    (appended, with the markers, when they are missing)."""
    old = open(path).read() if osp.exists(path) else ''
    block = f'{BEGIN}\n{text}\n{END}'
    if BEGIN in old and END in old:
        new = old[:old.index(BEGIN)] + block + old[old.index(END) + len(END):]
    else:
        new = old.rstrip('\n') + '\n\n' + block + '\n'
    with open(path, 'w') as f:
        f.write(new)


def report(rows: List[dict], memory: Optional[dict], argv: List[str], sizes: dict) -> str:
    """The Markdown of a run: the command, the machine, the tables."""
    import platform
    load = os.getloadavg() if hasattr(os, 'getloadavg') else None
    vidstg = ', '.join(f'{k} {v["queries"]} queries ({v["videos"]} videos)'
                       for k, v in sizes['vidstg'].items())
    hcstvg = ', '.join(f'{k} {v["queries"]}' for k, v in sizes['hcstvg'].items())
    load_text = '/'.join(f'{x:.1f}' for x in load) if load else 'unknown'
    lines = [
        'Command (this table was written by it):', '', '```bash',
        'python tools/analysis_tools/benchmark_data.py ' + ' '.join(argv), '```', '',
        f'Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python '
        f'{platform.python_version()}; load average at the end of the run {load_text} '
        '(shared with other work: CPU times, not wall times, paired and interleaved). Data: '
        f'VidSTG {vidstg}; HC-STVG v2 {hcstvg} (scale {sizes["scale"]}).', ''
    ]
    if rows:
        runs = len(rows[0]['sides']['mmstvg']['runs'])
        lines += [
            f'Medians of {runs} pairs, (min-max) in parentheses; the ratio is taken pair by '
            'pair.', '',
            table(rows), ''
        ]
        agree = [(row['key'], row['m_vIoU']) for row in rows if 'm_vIoU' in row]
        if agree:
            lines += [
                'The evaluators agree (m_vIoU, mmstvg / reference): ' +
                '; '.join(f'{key} {v["mmstvg"]:.6f} / {v["reference"]:.6f}'
                          for key, v in agree) + '.', ''
            ]
    if memory:
        lines += [memory_table(memory), '']
    return '\n'.join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        '--data-dir',
        default='work_dirs/benchmark_data',
        help='where the generated sets are (made when missing)')
    parser.add_argument(
        '--scale', type=float, default=1.0, help='fraction of the published split sizes')
    parser.add_argument('--runs', type=int, default=3, help='pairs per work (n)')
    parser.add_argument('--only', nargs='+', help='the keys of the works to run')
    parser.add_argument('--no-memory', action='store_true', help='skip the memory report')
    parser.add_argument('--tubedetr', help="a TubeDETR checkout: its VidSTGEvaluator is timed too")
    parser.add_argument(
        '--baseline-src',
        help="another mmstvg source tree, measured as 'before' in the same rounds (e.g. "
        '`git archive` of the previous commit)')
    parser.add_argument('--json', help='write the measurements to this file')
    parser.add_argument(
        '--out',
        help='Markdown file whose generated benchmark part is replaced (docs/benchmarks.md)')
    parser.add_argument('--child', help=argparse.SUPPRESS)
    parser.add_argument('--child-args', default='{}', help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    if args.child:
        print(json.dumps(CHILDREN[args.child](args.data_dir, **json.loads(args.child_args))))
        return None
    sizes = generate(args.data_dir, args.scale)
    # the VidOR box cache of this data (a first build: not measured)
    for split in ('test', 'train'):
        run_child(
            dict(child='construct_mmstvg', args=dict(split=split)), args.data_dir,
            _env(args.data_dir, REPO))
    rows = []
    for work in works(_paths(args.data_dir), args.tubedetr):
        if args.only and work['key'] not in args.only:
            continue
        print(f'{work["name"]}:')
        rows.append(measure(work, args.data_dir, args.runs, args.baseline_src))
    memory = None
    if not args.no_memory and (not args.only or 'memory' in args.only):
        print('VidSTG train dataset memory:')
        memory = measure_memory(args.data_dir, args.runs, args.baseline_src)
    text = report(rows, memory, argv, sizes)
    print(text)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(rows=rows, memory=memory, sizes=sizes), f, indent=1)
    if args.out:
        write_markdown(args.out, text)
    return dict(rows=rows, memory=memory)


if __name__ == '__main__':
    main()
