"""Generation of the synthetic STVG benchmark on disk, in the HC-STVG v2 layout.

Output (``out_dir``)::

    anno_v2/train_v2.json   {video_name: record}, one query per video (HC-STVG v2 format)
    anno_v2/val_v2.json
    anno_v2/query_v2.json   {video_name: sentence}  (only with num_test > 0; as HC-STVG v2)
    anno_v2/test_v2.json    the test records WITH ground truth (for scoring submissions)
    videos/<split>_<index:05d>.mp4
    tokenizer/              word-level tokenizer (``AutoTokenizer.from_pretrained``)
    meta.json               generation parameters; written last (marks a complete generation)

A record has the HC-STVG v2 fields: ``English`` (the query), ``bbox`` (``[x, y, w, h]``
integer pixels, top-left origin, one per frame of the span), ``st_frame`` (1-based first boxed
frame), ``ed_frame`` (1-based inclusive last boxed frame; ``len(bbox) == ed_frame - st_frame +
1``), ``st_time`` / ``ed_time`` (seconds: ``(st_frame - 1) / fps`` and ``ed_frame / fps``, i.e.
the half-open span in time), ``img_num`` (frames), ``img_size`` (``[H, W, 3]``), plus
``fps`` (the REAL frame rate: HC-STVG's own videos are 20 s long, so readers assume
``fps = img_num / 20`` when this key is absent) and extra keys for analysis:
``action`` (the queried action), ``target`` (``index`` into ``actors``, ``colour``, ``shape``,
``size``), ``attributes`` (the attributes the description uses), ``actors`` (every actor's
appearance and its actions with 0-based half-open ``span``), ``seed``
(``[seed, split_code, index]``, the generator's seed of this video).

Every video is generated from its own ``numpy`` generator seeded with
``[seed, split_code, index]``, so the output does not depend on the number of workers and the
same ``seed`` gives byte-identical annotation files (and, with the single-threaded x264
encoder, byte-identical videos).
"""
import json
import multiprocessing
import os
import os.path as osp
import re
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .render import render_frames, write_video
from .scene import Scene, sample_scene
from .text import describe, make_sentence, save_tokenizer

FORMAT_VERSION = 1
SPLIT_CODES: Dict[str, int] = {'train': 0, 'val': 1, 'test': 2}
ANN_FILES: Dict[str, str] = {
    'train': 'anno_v2/train_v2.json',
    'val': 'anno_v2/val_v2.json',
    'test': 'anno_v2/test_v2.json',
}
QUERY_FILE = 'anno_v2/query_v2.json'
VIDEO_DIR = 'videos'
TOKENIZER_DIR = 'tokenizer'
META_FILE = 'meta.json'


def video_name(split: str, index: int) -> str:
    """File name of the ``index``-th video of ``split`` (``'train_00012.mp4'``)."""
    return f'{split}_{index:05d}.mp4'


def scene_record(scene: Scene, sentence: str, attributes: Sequence[str], fps: float,
                 seed: Sequence[int]) -> dict:
    """The HC-STVG v2 record (+ extra keys) of a query (see the module docstring)."""
    target = scene.actors[scene.target]
    start, end = scene.query.start, scene.query.end
    boxes = target.boxes()[start:end]
    bbox = [[int(x1), int(y1), int(x2 - x1), int(y2 - y1)] for x1, y1, x2, y2 in boxes]
    return {
        'English':
        sentence,
        'bbox':
        bbox,
        'st_frame':
        start + 1,
        'ed_frame':
        end,
        'st_time':
        round(start / fps, 4),
        'ed_time':
        round(end / fps, 4),
        'img_num':
        scene.num_frames,
        'img_size': [scene.size, scene.size, 3],
        'fps':
        fps,
        'action':
        scene.query.action,
        'target':
        dict(
            index=scene.target,
            colour=target.appearance.colour,
            shape=target.appearance.shape,
            size=target.appearance.size),
        'attributes':
        list(attributes),
        'actors': [
            dict(
                colour=a.appearance.colour,
                shape=a.appearance.shape,
                size=a.appearance.size,
                actions=[dict(action=e.action, span=[e.start, e.end]) for e in a.actions])
            for a in scene.actors
        ],
        'seed': [int(s) for s in seed],
    }


def make_query(seed: int,
               split: str,
               index: int,
               num_frames: int = 64,
               size: int = 128,
               fps: float = 16,
               scene_cfg: Optional[dict] = None) -> Tuple[Scene, dict]:
    """Sample the scene and the record of one query (deterministic in its arguments).

    Args:
        seed (int): global seed.
        split (str): ``'train'``, ``'val'`` or ``'test'``.
        index (int): query index inside the split.
        num_frames (int): frames per video. Defaults to 64.
        size (int): frame side. Defaults to 128.
        fps (float): frame rate. Defaults to 16.
        scene_cfg (dict, optional): extra keyword arguments of :func:`sample_scene`.

    Returns:
        tuple[Scene, dict]: the scene and its record.
    """
    video_seed = [int(seed), SPLIT_CODES[split], int(index)]
    rng = np.random.default_rng(video_seed)
    scene = sample_scene(rng, num_frames=num_frames, size=size, **(scene_cfg or {}))
    target = scene.actors[scene.target]
    others = [a.appearance for i, a in enumerate(scene.actors) if i != scene.target]
    phrase, attributes = describe(target.appearance, others, rng)
    sentence = make_sentence(phrase, scene.query.action)
    return scene, scene_record(scene, sentence, attributes, fps, video_seed)


def _generate_one(task: tuple) -> Tuple[str, dict]:
    """Worker: sample, render and encode one video; returns ``(video_name, record)``."""
    out_dir, split, index, seed, num_frames, size, fps, crf, scene_cfg = task
    scene, record = make_query(seed, split, index, num_frames, size, fps, scene_cfg)
    name = video_name(split, index)
    write_video(osp.join(out_dir, VIDEO_DIR, name), render_frames(scene), fps=fps, crf=crf)
    return name, record


def _worker_init() -> None:
    try:
        import cv2
        cv2.setNumThreads(1)
    except ImportError:  # pragma: no cover
        pass


def _dump_json(obj, path: str) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(obj, f)
    os.replace(tmp, path)


def _remove_stale(out_dir: str, counts: Dict[str, int]) -> None:
    """Delete outputs of an earlier, larger generation that this one does not overwrite."""
    pattern = re.compile(r'^(train|val|test)_(\d{5})\.mp4$')
    video_dir = osp.join(out_dir, VIDEO_DIR)
    for name in os.listdir(video_dir):
        m = pattern.match(name)
        if m and int(m.group(2)) >= counts[m.group(1)]:
            os.remove(osp.join(video_dir, name))
    if not counts['test']:
        for rel in (ANN_FILES['test'], QUERY_FILE):
            if osp.isfile(osp.join(out_dir, rel)):
                os.remove(osp.join(out_dir, rel))


def generation_params(num_train: int, num_val: int, num_test: int, num_frames: int, size: int,
                      fps: float, seed: int, crf: int, scene_cfg: Optional[dict]) -> dict:
    """The parameters that determine the output (stored in ``meta.json``)."""
    return dict(
        version=FORMAT_VERSION,
        num_train=int(num_train),
        num_val=int(num_val),
        num_test=int(num_test),
        num_frames=int(num_frames),
        size=int(size),
        fps=fps,
        seed=int(seed),
        crf=int(crf),
        scene_cfg=json.loads(json.dumps(scene_cfg or {})))


def is_complete(out_dir: str, params: dict) -> bool:
    """Whether ``out_dir`` holds a finished generation with exactly these parameters."""
    meta_path = osp.join(out_dir, META_FILE)
    if not osp.isfile(meta_path):
        return False
    try:
        with open(meta_path) as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return False
    if meta.get('params') != params:
        return False
    for split, count in (('train', params['num_train']), ('val', params['num_val']),
                         ('test', params['num_test'])):
        if count and not osp.isfile(osp.join(out_dir, ANN_FILES[split])):
            return False
        for i in range(count):
            if not osp.isfile(osp.join(out_dir, VIDEO_DIR, video_name(split, i))):
                return False
    return osp.isfile(osp.join(out_dir, TOKENIZER_DIR, 'tokenizer.json'))


def generate_synthetic_stvg(out_dir: str,
                            num_train: int = 1000,
                            num_val: int = 200,
                            num_test: int = 0,
                            num_frames: int = 64,
                            size: int = 128,
                            fps: float = 16,
                            seed: int = 0,
                            workers: int = 2,
                            crf: int = 18,
                            scene_cfg: Optional[dict] = None,
                            force: bool = False,
                            log: Optional[Callable[[str], None]] = print) -> dict:
    """Generate (or find complete) the synthetic benchmark in ``out_dir``.

    Args:
        out_dir (str): output directory (see the module docstring for the layout).
        num_train / num_val / num_test (int): queries (= videos) per split. The test split
            gets ``query_v2.json`` (no GT, as HC-STVG v2) and ``test_v2.json`` (with GT).
        num_frames (int): frames per video. Defaults to 64.
        size (int): frame side (even). Defaults to 128.
        fps (float): frame rate written in the videos and the records. Defaults to 16.
        seed (int): global seed. Defaults to 0.
        workers (int): worker processes (<= 1: in this process). Defaults to 2.
        crf (int): x264 quality. Defaults to 18.
        scene_cfg (dict, optional): keyword arguments of
            :func:`mmstvg.datasets.synthetic.scene.sample_scene`.
        force (bool): regenerate even when a complete generation with the same parameters
            exists. Defaults to False.
        log (callable, optional): progress messages. Defaults to ``print``.

    Returns:
        dict: the content of ``meta.json`` plus ``skipped`` (True when nothing was done).
    """
    log = log or (lambda msg: None)
    if size % 2:
        raise ValueError(f'size must be even (yuv420p), got {size}')
    if num_frames < 2:
        raise ValueError(f'num_frames must be >= 2, got {num_frames}')
    if float(fps).is_integer():
        fps = int(fps)
    params = generation_params(num_train, num_val, num_test, num_frames, size, fps, seed, crf,
                               scene_cfg)
    meta_path = osp.join(out_dir, META_FILE)
    if not force and is_complete(out_dir, params):
        with open(meta_path) as f:
            meta = json.load(f)
        log(f'{out_dir} already holds a complete generation with these parameters; skipped.')
        return dict(meta, skipped=True)

    if osp.exists(meta_path):
        os.remove(meta_path)  # the directory is incomplete until the new meta is written
    os.makedirs(osp.join(out_dir, VIDEO_DIR), exist_ok=True)
    t0 = time.time()
    save_tokenizer(osp.join(out_dir, TOKENIZER_DIR))

    counts = dict(train=num_train, val=num_val, test=num_test)
    tasks: List[tuple] = [(out_dir, split, i, seed, num_frames, size, fps, crf, scene_cfg)
                          for split, n in counts.items() for i in range(n)]
    results: Dict[str, Dict[str, dict]] = {split: {} for split in counts}
    step = max(1, len(tasks) // 10)

    def collect(it):
        for k, (name, record) in enumerate(it, 1):
            results[name.split('_')[0]][name] = record
            if k % step == 0 or k == len(tasks):
                log(f'[{k}/{len(tasks)}] videos, {time.time() - t0:.1f} s')

    if workers <= 1 or len(tasks) <= 1:
        _worker_init()
        collect(map(_generate_one, tasks))
    else:
        with multiprocessing.Pool(workers, initializer=_worker_init) as pool:
            collect(pool.imap(_generate_one, tasks, chunksize=4))

    _remove_stale(out_dir, counts)
    for split, n in counts.items():
        if n == 0 and split == 'test':
            continue
        annos = {video_name(split, i): results[split][video_name(split, i)] for i in range(n)}
        _dump_json(annos, osp.join(out_dir, ANN_FILES[split]))
        if split == 'test':
            _dump_json({k: v['English'] for k, v in annos.items()}, osp.join(out_dir, QUERY_FILE))

    elapsed = time.time() - t0
    meta = dict(
        params=params,
        counts=counts,
        elapsed_s=round(elapsed, 2),
        ann_files={
            s: ANN_FILES[s]
            for s, n in counts.items() if n or s != 'test'
        },
        tokenizer=TOKENIZER_DIR,
        videos=VIDEO_DIR)
    _dump_json(meta, meta_path)
    log(f'generated {len(tasks)} videos in {elapsed:.1f} s ({workers} workers) -> {out_dir}')
    return dict(meta, skipped=False)
