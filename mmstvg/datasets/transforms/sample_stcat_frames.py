"""The STCAT family's frame sampling (``datasets/data_utils.py`` of jy0205/STCAT,
``make_hcstvg_input_clip`` / ``make_vidstg_input_clip``; CG-STVG and TA-STVG keep it).

Over the query's clip ``[start, end)`` extended by ``end_offset`` frames: HC-STVG's released
code drops the clip's last frame (``range(0, frame_count - 1)``: ``end_offset=-1``), VidSTG's
reads ``used_segment.end_fid`` as inclusive and samples ``end_fid`` too (``end_offset=1``,
mmstvg's VidSTG clip being ``[begin_fid, end_fid)``):

- ``fps`` mode (HC-STVG): with ``rate = fps / video_fps``, the clip's first frame is kept and
  a frame ``f`` is added whenever ``int(last * rate) < int(f * rate)``; the clip's last frame
  is always added. The released code takes ``video_fps = frame_count / 20`` (HC-STVG videos
  are 20 s long): ``video_duration=20``; without it the decoded video's fps is used. More than
  ``max_frames`` frames are subsampled evenly (never at the released settings);
- ``num_frames`` mode (VidSTG): ``num_frames`` frames spread evenly
  (``int(linspace(0, n - 1, num_frames))``) when the clip has more.

Training (``test_mode=False``): with probability ``crop_prob`` (0.5) the released temporal crop
keeps the positions from one drawn uniformly before the GT span to one drawn after it
(HC-STVG: after sampling; VidSTG: before the even spread). At test time the released code
samples twice as densely (``fps = 2 x SAMPLE_FPS``, ``num_frames = 2 x TRAIN_SAMPLE_NUM``) and
runs the even and the odd frames as two passes: ``num_passes=2`` (mmstvg's multi-pass
inference, pass ``p`` = ``frame_inds[p::2]``). An odd count appends a copy of the last frame so
that both passes have the same length and records it (``pass_pad_frames``: 1): the family's
grounders run that copy as a padded frame of the last pass (:meth:`STCAT.mask_pass_padding`),
which gives what the released code's shorter pass gives.
"""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform

from mmstvg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class SampleSTCATFrames(BaseTransform):
    """Sample the frames of a query as STCAT (module docstring).

    Required Keys: ``clip`` (``[start, end)``) or ``num_frames`` / ``total_frames``; ``fps`` /
    ``avg_fps`` (``fps`` mode without ``video_duration``); ``gt_span`` (training crop).

    Added Keys: ``frame_inds`` (N,) int64, ``num_passes``, ``pass_pad_frames`` (copies of the
    last frame appended so that the passes have equal lengths), ``clip_len``,
    ``frame_interval`` (None), ``num_clips`` (1).

    Args:
        fps (float, optional): sampling rate (HC-STVG: 3.2 in training, 6.4 at test time).
        num_frames (int, optional): frames per query (VidSTG: 64 / 128). Exactly one of
            ``fps`` and ``num_frames``.
        max_frames (int): cap in ``fps`` mode. Defaults to 400.
        video_duration (float, optional): ``video_fps = clip length / video_duration`` (the
            released HC-STVG code: 20); None: the video's fps.
        num_passes (int): interleaved passes at test time (the released evaluation: 2).
        test_mode (bool): no temporal crop.
        crop_prob (float): probability of the training crop (``INPUT.TEMP_CROP_PROB``: 0.5).
        end_offset (int): frames added to the clip's end (module docstring): -1 (HC-STVG,
            default) or 1 (VidSTG).
    """

    def __init__(self,
                 fps: Optional[float] = None,
                 num_frames: Optional[int] = None,
                 max_frames: int = 400,
                 video_duration: Optional[float] = 20.0,
                 num_passes: int = 1,
                 test_mode: bool = False,
                 crop_prob: float = 0.5,
                 end_offset: int = -1) -> None:
        if (fps is None) == (num_frames is None):
            raise ValueError('SampleSTCATFrames needs exactly one of `fps` and `num_frames`')
        if fps is not None and not fps > 0:
            raise ValueError(f'fps must be > 0, got {fps}')
        if num_frames is not None and int(num_frames) < 1:
            raise ValueError(f'num_frames must be >= 1, got {num_frames}')
        if int(num_passes) < 1:
            raise ValueError(f'num_passes must be >= 1, got {num_passes}')
        if not 0.0 <= crop_prob <= 1.0:
            raise ValueError(f'crop_prob must be in [0, 1], got {crop_prob}')
        self.fps = None if fps is None else float(fps)
        self.num_frames = None if num_frames is None else int(num_frames)
        self.max_frames = int(max_frames)
        self.video_duration = video_duration
        self.num_passes = int(num_passes)
        self.test_mode = test_mode
        self.crop_prob = float(crop_prob)
        self.end_offset = int(end_offset)

    @staticmethod
    def fps_frames(frames: np.ndarray, rate: float) -> np.ndarray:
        """The released HC-STVG rule (module docstring) on the candidate ``frames``."""
        keep = [0]
        for i in range(1, len(frames)):
            if int(frames[keep[-1]] * rate) < int(frames[i] * rate):
                keep.append(i)
        if keep[-1] != len(frames) - 1:
            keep.append(len(frames) - 1)
        return frames[keep]

    @staticmethod
    def spread(frames: np.ndarray, num: int) -> np.ndarray:
        """``num`` frames spread evenly (all when there are at most ``num``)."""
        if len(frames) <= num:
            return frames
        return frames[np.linspace(0, len(frames) - 1, num=num).astype(np.int64)]

    @staticmethod
    def crop(frames: np.ndarray, gt_span) -> np.ndarray:
        """The released temporal crop around the GT span."""
        if gt_span is None:
            return frames
        inside = np.flatnonzero((frames >= gt_span[0]) & (frames < gt_span[1]))
        if not inside.size:
            return frames
        pos = np.arange(len(frames))
        starts, ends = pos[pos < inside[0]], pos[pos > inside[-1]]
        first = int(np.random.choice(starts)) if starts.size else 0
        last = int(np.random.choice(ends)) if ends.size else len(frames) - 1
        return frames[first:last + 1]

    def transform(self, results: dict) -> dict:
        """Add ``frame_inds`` (and the keys mmaction2's decoders read)."""
        clip = results.get('clip')
        if clip is None:
            total = results.get('num_frames') or results.get('total_frames')
            if total is None:
                raise KeyError(f'SampleSTCATFrames: query {results.get("qid")!r} has neither '
                               '`clip` nor `num_frames`.')
            clip = (0, int(total))
            results['clip'] = clip
        start, end = int(clip[0]), int(clip[1])
        frames = np.arange(start, max(end + self.end_offset, start + 1), dtype=np.int64)
        crop = not self.test_mode and np.random.rand() < self.crop_prob
        if self.fps is not None:
            if self.video_duration:
                video_fps = (end - start) / float(self.video_duration)
            else:
                video_fps = results.get('fps') or results.get('avg_fps')
                if not video_fps or video_fps <= 0:
                    raise KeyError(f'SampleSTCATFrames: query {results.get("qid")!r} has no '
                                   'valid video `fps`.')
            frames = self.fps_frames(frames, self.fps / float(video_fps))
            frames = self.spread(frames, self.max_frames)
            if crop:
                frames = self.crop(frames, results.get('gt_span'))
        else:
            if crop:
                frames = self.crop(frames, results.get('gt_span'))
            frames = self.spread(frames, self.num_frames)
        passes = self.num_passes if self.test_mode else 1
        pad = -len(frames) % passes
        if pad:
            frames = np.concatenate([frames, np.repeat(frames[-1:], pad)])
        results['frame_inds'] = frames.astype(np.int64)
        results['num_passes'] = passes
        results['pass_pad_frames'] = int(pad)
        results['clip_len'] = int(len(frames))
        results['frame_interval'] = None
        results['num_clips'] = 1
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(fps={self.fps}, num_frames={self.num_frames}, '
                f'max_frames={self.max_frames}, video_duration={self.video_duration}, '
                f'num_passes={self.num_passes}, test_mode={self.test_mode}, '
                f'crop_prob={self.crop_prob}, end_offset={self.end_offset})')
