"""Ground a sentence in any video file: ``init_grounder`` + ``inference_grounder``.

    from mmstvg.apis import init_grounder, inference_grounder
    model = init_grounder('configs/baselines/baseline_r18-c16-s8_1xb8-t32-8e_synth.py',
                          'work_dirs/synthetic_demo/baseline/epoch_8.pth', device='cpu')
    pred = inference_grounder(model, 'my_video.mp4', 'The red circle moves left.')
    pred.span, pred.span_seconds, pred.bboxes      # [start, end) frames, seconds, (N, 4)

The video goes through the config's test pipeline exactly as a dataset query would (frame
sampling, multi-pass sampling where the model uses it, decoding, resizing, tokenisation),
with the clip, frame count, frame rate and size read from the file itself, so any container
PyAV decodes works (mp4, mkv, avi, webm ...), of any size and frame rate. The prediction is in
the video's own frame indices and pixels, with one box per frame of the predicted span; its
seconds are the presentation times of those frames in the file (exact for a variable frame
rate too, where ``frame / fps`` is not).
"""
import copy
import os.path as osp
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.runner import load_state_dict

from mmstvg.evaluation.functional import densify_tube
from mmstvg.registry import MODELS
from mmstvg.utils import load_config, register_all_modules
from mmstvg.utils.checkpoint_safety import check_state_dict_coverage, safe_torch_load
from mmstvg.utils.video_io import VideoInfo, probe_video


@dataclass
class STVGPrediction:
    """The grounded tube of one (video, sentence) query.

    Attributes:
        video (str): the video file.
        sentence (str): the query.
        span (tuple[int, int]): predicted half-open ``[start, end)`` in the video's frames.
        span_seconds (tuple[float, float]): the span in seconds: the presentation time of
            frame ``start`` and the end of frame ``end - 1`` in the file (from the frame
            timestamps; equal to ``frame / fps`` only at a constant frame rate).
        frame_ids (np.ndarray): (N,) every frame of the span, ``start .. end - 1``.
        bboxes (np.ndarray): (N, 4) xyxy boxes in the video's pixels, one per frame of the
            span (interpolated between the frames the model predicted).
        fps (float): the video's average frame rate, as its container reports it (for a
            variable frame rate use ``frame_times``).
        num_frames (int): its number of frames.
        size (tuple[int, int]): its (height, width).
        frame_times (np.ndarray): (N,) presentation time (s) of each frame of ``frame_ids``.
        is_vfr (bool): the video has a variable frame rate.
        data_sample: the model's raw :class:`~mmstvg.structures.STVGDataSample`.
    """
    video: str
    sentence: str
    span: Tuple[int, int]
    span_seconds: Tuple[float, float]
    frame_ids: np.ndarray
    bboxes: np.ndarray
    fps: float
    num_frames: int
    size: Tuple[int, int]
    frame_times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    is_vfr: bool = False
    data_sample: object = field(repr=False, default=None)

    def box_at(self, frame: int) -> Optional[np.ndarray]:
        """The (4,) box at original frame ``frame``, or None outside the span."""
        if not self.span[0] <= frame < self.span[1] or not len(self.frame_ids):
            return None
        return self.bboxes[frame - self.span[0]]

    def to_dict(self) -> dict:
        """JSON-friendly dict (no data sample)."""
        return dict(
            video=self.video,
            sentence=self.sentence,
            span=list(self.span),
            span_seconds=list(self.span_seconds),
            fps=self.fps,
            num_frames=self.num_frames,
            size=list(self.size),
            is_vfr=self.is_vfr,
            frame_ids=self.frame_ids.tolist(),
            frame_times=np.asarray(self.frame_times).tolist(),
            bboxes=self.bboxes.tolist())


def init_grounder(config: Union[str, Config],
                  checkpoint: Optional[str] = None,
                  device: str = 'cpu',
                  cfg_options: Optional[dict] = None,
                  allow_partial_load: bool = False) -> torch.nn.Module:
    """Build a grounder from its config and load its weights.

    Args:
        config (str | Config): config file or object.
        checkpoint (str, optional): checkpoint file (loaded with torch's safe loader). None
            keeps the initial weights (a weight-free predictor, or a smoke test).
        device (str): 'cpu', 'cuda', 'cuda:1' ...
        cfg_options (dict, optional): overrides merged into the config.
        allow_partial_load (bool): accept a checkpoint that does not cover the whole model
            (the differences are logged). Also set by ``allow_partial_load = True`` in the
            config. Defaults to False.

    Raises:
        CorruptCheckpointError / UnsafeCheckpointError: the checkpoint cannot be read / is
            refused by the safe loader.
        IncompleteCheckpointError: the checkpoint misses weights of the model, has weights
            of another shape, or weights the model does not have (unless allowed).

    Returns:
        nn.Module: the model in eval mode, on ``device``, with ``model.cfg`` set and its test
        pipeline built (``model.test_pipeline``).
    """
    register_all_modules()
    cfg = load_config(config) if isinstance(config, str) else copy.deepcopy(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    model_cfg = copy.deepcopy(cfg.model)
    if checkpoint is not None:
        model_cfg.pop('init_cfg', None)  # the checkpoint replaces any pretrained init
    model = MODELS.build(model_cfg)
    if checkpoint is not None:
        # what mmengine's load_checkpoint does, with the safe loader and the coverage checked
        ckpt = safe_torch_load(checkpoint, map_location='cpu')
        check_state_dict_coverage(
            model,
            ckpt,
            checkpoint,
            allow_partial=allow_partial_load or bool(cfg.get('allow_partial_load')))
        load_state_dict(model, _model_state_dict(ckpt), strict=False)
    model.cfg = cfg
    model.test_pipeline = Compose(_test_pipeline_cfg(cfg))
    return model.to(device).eval()


def _model_state_dict(checkpoint: dict) -> OrderedDict:
    """The state dict of a loaded checkpoint, DDP's ``module.`` prefixes removed and its
    ``_metadata`` (module versions, read by ``_load_from_state_dict``) kept, as mmengine's
    ``load_checkpoint`` prepares it."""
    state_dict = checkpoint.get('state_dict', checkpoint)
    metadata = getattr(state_dict, '_metadata', OrderedDict())
    out = OrderedDict((re.sub(r'^module\.', '', k), v) for k, v in state_dict.items())
    out._metadata = metadata
    return out


def _test_pipeline_cfg(cfg: Config) -> list:
    loader = cfg.get('test_dataloader') or cfg.get('val_dataloader')
    if loader is not None:
        ds = loader['dataset']
        while 'pipeline' not in ds and 'dataset' in ds:
            ds = ds['dataset']
        if 'pipeline' in ds:
            return copy.deepcopy(ds['pipeline'])
    if cfg.get('test_pipeline') is not None:
        return copy.deepcopy(cfg.test_pipeline)
    raise KeyError('the config has no test pipeline (test_dataloader.dataset.pipeline or '
                   'test_pipeline)')


def _validate_queries(videos, sentences) -> Tuple[List[str], List[str]]:
    """Check every query before any work; returns the stripped sentences.

    Raises:
        TypeError: a video path or a sentence that is not a string.
        ValueError: an empty sentence. FileNotFoundError: a missing video.
    """
    clean = []
    for index, (video, sentence) in enumerate(zip(videos, sentences)):
        if not isinstance(video, str):
            raise TypeError(f'query {index}: the video must be a file path (str), got '
                            f'{type(video).__name__} {video!r}')
        if not isinstance(sentence, str):
            raise TypeError(f'query {index}: the sentence for {video} must be a string, got '
                            f'{type(sentence).__name__} {sentence!r}')
        if not sentence.strip():
            raise ValueError(f'query {index}: the sentence for {video} is empty')
        if not osp.isfile(video):
            raise FileNotFoundError(f'query {index}: video file {video} does not exist')
        clean.append(sentence.strip())
    return list(videos), clean


def _data_info(video: str, sentence: str, index: int, meta: VideoInfo) -> dict:
    name = osp.basename(video)
    return dict(
        qid=f'{index}_{name}',
        video_name=name,
        filename=video,
        sentence=sentence,
        sentence_type=None,
        clip=(0, meta.num_frames),
        gt_span=None,
        gt_bboxes=None,
        feature_path=None,
        extra={},
        **meta.meta())


def _to_prediction(video: str, sentence: str, meta: VideoInfo, sample) -> STVGPrediction:
    tube = sample.pred_tube
    span = tuple(
        int(v) for v in np.asarray(
            tube.span.cpu() if hasattr(tube.span, 'cpu') else tube.span).reshape(-1)[:2])
    frame_ids = np.asarray(
        tube.frame_ids.cpu() if hasattr(tube.frame_ids, 'cpu') else tube.frame_ids)
    bboxes = np.asarray(tube.bboxes.cpu() if hasattr(tube.bboxes, 'cpu') else tube.bboxes)
    frames, boxes = densify_tube(span, frame_ids, bboxes)
    return STVGPrediction(
        video=video,
        sentence=sentence,
        span=span,
        span_seconds=(meta.frame_time(span[0]), meta.frame_time(span[1])),
        frame_ids=frames,
        bboxes=boxes.astype(np.float32),
        fps=meta.fps,
        num_frames=meta.num_frames,
        size=(meta.height, meta.width),
        frame_times=np.asarray(meta.frame_time(frames), dtype=np.float64),
        is_vfr=meta.is_vfr,
        data_sample=sample)


def inference_grounder(model: torch.nn.Module,
                       videos: Union[str, Sequence[str]],
                       sentences: Union[str, Sequence[str]],
                       batch_size: int = 1) -> Union[STVGPrediction, List[STVGPrediction]]:
    """Ground sentence(s) in video(s).

    Args:
        model (nn.Module): from :func:`init_grounder`.
        videos (str | Sequence[str]): a video file, or a list of them.
        sentences (str | Sequence[str]): the query for each video (one string for one video).
        batch_size (int): queries per forward pass (>= 1). Defaults to 1.

    Returns:
        STVGPrediction or list[STVGPrediction]: one per query (a list when lists were given).

    Raises:
        TypeError / ValueError / FileNotFoundError: invalid arguments, before any video is
        read (a non-string or empty sentence, a missing video, ``batch_size < 1`` ...).
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1:
        raise ValueError(f'batch_size must be an integer >= 1, got {batch_size!r}')
    batch_size = int(batch_size)
    single = isinstance(videos, str)
    if single != isinstance(sentences, str):
        raise TypeError('give one video and one sentence, or two lists of equal length')
    videos = [videos] if single else list(videos)
    sentences = [sentences] if single else list(sentences)
    if len(videos) != len(sentences):
        raise ValueError(f'{len(videos)} videos but {len(sentences)} sentences')
    if not videos:
        raise ValueError('no query given')
    videos, sentences = _validate_queries(videos, sentences)
    metas = [probe_video(v) for v in videos]  # unreadable videos fail before any work
    pipeline = getattr(model, 'test_pipeline', None)
    if pipeline is None:
        pipeline = model.test_pipeline = Compose(_test_pipeline_cfg(model.cfg))
    results: List[STVGPrediction] = []
    for start in range(0, len(videos), batch_size):
        chunk = list(zip(videos[start:start + batch_size], sentences[start:start + batch_size]))
        chunk_metas = metas[start:start + batch_size]
        infos = [
            _data_info(v, s, start + i, m)
            for i, ((v, s), m) in enumerate(zip(chunk, chunk_metas))
        ]
        packed = [pipeline(copy.deepcopy(info)) for info in infos]
        with torch.no_grad():
            samples = model.test_step(pseudo_collate(packed))
        for (video, sentence), meta, sample in zip(chunk, chunk_metas, samples):
            results.append(_to_prediction(video, sentence, meta, sample))
    return results[0] if single else results
