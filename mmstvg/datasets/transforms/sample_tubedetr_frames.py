"""TubeDETR's frame sampling (``datasets/{vidstg,hcstvg}.py`` of antoyang/TubeDETR), at training
and test time.

Frames: :func:`~mmstvg.evaluation.functional.tubedetr_sample_frames` over TubeDETR's clip
(:func:`~mmstvg.evaluation.functional.tubedetr_clip`: the query's clip minus its last frame),
i.e. the first frame of every ``1 / fps`` s bucket, subsampled to ``max_frames`` (200) if more.
These are exactly the frames that the ``sampled`` protocol scores, so a test-time prediction
has a box on every scored frame.

Training (``test_mode=False``) adds TubeDETR's two temporal crops, with ``I`` the sampled
positions inside the GT span:

1. with probability ``crop_prob`` (0.5): a new first position drawn uniformly among those
   before ``I`` (all positions without GT span; 0 if none) and a new last one among those
   after ``I`` (after the new first one without GT span; the last position if none); the
   annotated moment is always kept whole;
2. if more than ``max_frames_train`` frames remain: a window of ``max_frames_train``
   consecutive positions whose first position is drawn among those in
   ``(first(I) - max_frames_train, last(I)]`` (all positions without GT span).

(TubeDETR draws with python's ``random``; here numpy's global RNG, which mmstvg's
``EpochSeedHook`` seeds, is used.)
"""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform

from mmstvg.evaluation.functional import tubedetr_clip as _tubedetr_clip
from mmstvg.evaluation.functional import tubedetr_sample_frames
from mmstvg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class SampleTubeDETRFrames(BaseTransform):
    """Sample the frames of a query as TubeDETR (module docstring).

    Required Keys:

    - clip (tuple[int, int]): ``[start, end)`` of the query.
    - fps (float): frames per second of the video.
    - gt_span (tuple[int, int], optional): GT ``[start, end)``; read by the training crops.

    Added Keys:

    - frame_inds (np.ndarray): (N,) int64 sorted original frame indices.
    - num_passes (int): 1. clip_len (int): N. frame_interval (None). num_clips (int): 1.

    Args:
        fps (float): sampling rate in frames per second (TubeDETR: 5).
        max_frames (int): cap on the frames per query (TubeDETR's ``video_max_len``: 200).
        tubedetr_clip (bool): sample over TubeDETR's clip (the last frame of the query's clip
            is never sampled). Defaults to True.
        test_mode (bool): no temporal crop. Defaults to False.
        crop_prob (float): probability of the random temporal crop (TubeDETR: 0.5; 0 is
            ``--no_tmp_crop``).
        max_frames_train (int, optional): frames kept at most in training (TubeDETR's
            ``video_max_len_train``: 200, so never cropped when ``max_frames`` is 200).
    """

    def __init__(self,
                 fps: float = 5.0,
                 max_frames: int = 200,
                 tubedetr_clip: bool = True,
                 test_mode: bool = False,
                 crop_prob: float = 0.5,
                 max_frames_train: Optional[int] = 200) -> None:
        if not fps > 0:
            raise ValueError(f'fps must be > 0, got {fps}')
        if int(max_frames) < 1:
            raise ValueError(f'max_frames must be >= 1, got {max_frames}')
        if not 0.0 <= crop_prob <= 1.0:
            raise ValueError(f'crop_prob must be in [0, 1], got {crop_prob}')
        if max_frames_train is not None and int(max_frames_train) < 1:
            raise ValueError(f'max_frames_train must be >= 1, got {max_frames_train}')
        self.fps = float(fps)
        self.max_frames = int(max_frames)
        self.tubedetr_clip = tubedetr_clip
        self.test_mode = test_mode
        self.crop_prob = float(crop_prob)
        self.max_frames_train = None if max_frames_train is None else int(max_frames_train)

    @staticmethod
    def _span_positions(frame_inds: np.ndarray, gt_span) -> np.ndarray:
        """Positions of the sampled frames inside the GT span (empty without one)."""
        if gt_span is None:
            return np.zeros(0, dtype=np.int64)
        start, end = int(gt_span[0]), int(gt_span[1])
        return np.flatnonzero((frame_inds >= start) & (frame_inds < end))

    @staticmethod
    def random_crop(num: int, inter: np.ndarray) -> tuple:
        """TubeDETR's random temporal crop: ``(first, last)`` positions kept (inclusive)."""
        pos = np.arange(num)
        starts = pos[pos < inter[0]] if inter.size else pos
        first = int(np.random.choice(starts)) if starts.size else 0
        ends = pos[pos > inter[-1]] if inter.size else pos[pos > first]
        last = int(np.random.choice(ends)) if ends.size else num - 1
        return first, last

    @staticmethod
    def window_crop(num: int, inter: np.ndarray, length: int) -> tuple:
        """TubeDETR's ``video_max_len_train`` window: ``(first, last)`` (inclusive)."""
        pos = np.arange(num)
        starts = pos[(pos > inter[0] - length) & (pos <= inter[-1])] if inter.size else pos
        first = int(np.random.choice(starts)) if starts.size else 0
        return first, min(first + length - 1, num - 1)

    def transform(self, results: dict) -> dict:
        """Add ``frame_inds`` (and the keys mmaction2's decoders read)."""
        clip = results.get('clip')
        if clip is None:
            total = results.get('num_frames') or results.get('total_frames')
            if total is None:
                raise KeyError(f'SampleTubeDETRFrames: query {results.get("qid")!r} has '
                               'neither `clip` nor `num_frames`.')
            clip = (0, int(total))
            results['clip'] = clip
        video_fps = results.get('fps') or results.get('avg_fps')
        if not video_fps or video_fps <= 0:
            raise KeyError(f'SampleTubeDETRFrames: query {results.get("qid")!r} has no '
                           'valid video `fps`.')
        span = _tubedetr_clip(clip) if self.tubedetr_clip else (int(clip[0]), int(clip[1]))
        frame_inds = tubedetr_sample_frames(span, float(video_fps), self.fps, self.max_frames)
        if not self.test_mode:
            inter = self._span_positions(frame_inds, results.get('gt_span'))
            if np.random.rand() < self.crop_prob:
                first, last = self.random_crop(len(frame_inds), inter)
                frame_inds = frame_inds[first:last + 1]
                inter = inter - first
            if self.max_frames_train is not None and len(frame_inds) > self.max_frames_train:
                first, last = self.window_crop(len(frame_inds), inter, self.max_frames_train)
                frame_inds = frame_inds[first:last + 1]
        results['frame_inds'] = frame_inds.astype(np.int64)
        results['num_passes'] = 1
        results['clip_len'] = int(frame_inds.shape[0])
        results['frame_interval'] = None
        results['num_clips'] = 1
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(fps={self.fps}, max_frames={self.max_frames}, '
                f'tubedetr_clip={self.tubedetr_clip}, test_mode={self.test_mode}, '
                f'crop_prob={self.crop_prob}, max_frames_train={self.max_frames_train})')
