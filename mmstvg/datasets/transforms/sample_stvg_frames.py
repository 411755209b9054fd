"""Frame sampling inside a query's clip (``results['clip']``, half-open ``[start, end)``).

All modes reduce to one rule: to draw ``K`` frames from a clip of ``L`` frames, cut the clip
into ``K`` equal segments of ``L / K`` frames and take one frame per segment, the centre one at
test time (``start + floor((k + 0.5) * L / K)``) or a uniformly random one at train time
(``start + floor((k + u_k) * L / K)``, ``u_k ~ U[0, 1)``, TSN-style jitter). ``K`` is ``T``
(``clip_len``) or, in ``fps`` mode, ``ceil(L * fps / video_fps)`` (capped by ``max_frames``
and by ``L``, so a clip is never over-sampled).

Multi-pass test (as STVGFormer's inference: ``T`` frames per pass until every frame of the
clip was seen): with ``P = ceil(L / T)`` passes, ``K = P * T >= L`` positions
``start + floor(j * L / K)``, ``j = 0 .. K - 1``, are taken. Their step ``L / K <= 1`` never
skips a frame, so every frame of the clip is sampled at least once (the ``K - L`` extra
positions repeat a frame). Pass ``p`` is ``frame_inds[p::num_passes]`` (``T`` frames, one per
segment of ``L / T`` frames, offset by ``p / P`` of a segment): every pass spans the whole clip.

Names: ``clip_len`` is ``T``, the frames of one sample, as in mmaction2's ``SampleFrames``;
``num_frames`` in the results is the video's frame count from the annotation (``data_info``),
``total_frames`` the count mmaction2's ``*Init`` read from the container. (The annotation's
count is not stored as ``total_frames``: ``*Init`` overwrites that key, and the decoders
compare the two.) ``num_frames=`` as an argument is the old name of ``clip_len``.
"""
import math
import warnings
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform

from mmstvg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class SampleSTVGFrames(BaseTransform):
    """Sample the original frame indices of a query's clip.

    Exactly one of ``clip_len`` and ``fps`` must be given (see the module docstring for the
    sampling rule).

    Required Keys:

    - clip (optional, tuple[int, int]): ``[start, end)`` of the query; defaults to
      ``[0, num_frames)``.
    - num_frames (optional, int): frames in the video; needed when ``clip`` is absent
      (``total_frames``, set by mmaction2's ``*Init`` transforms, is used as a fallback).
    - fps (float): frames per second of the video; needed in ``fps`` mode only.

    Added Keys:

    - frame_inds (np.ndarray): (N,) int64 sorted original frame indices (may repeat when the
      clip is shorter than the number of samples).
    - num_passes (int): ``P``; pass ``p`` is ``frame_inds[p::P]``. 1 unless ``multi_pass``.
    - clip_len (int): ``N``; with ``num_clips=1`` and ``frame_interval=None`` this describes
      the sample as one clip to the mmaction2 transforms that read these keys
      (``PyAVDecode``/``DecordDecode`` only need ``frame_inds``).
    - frame_interval (None), num_clips (int, 1).

    Args:
        clip_len (int, optional): ``T``, frames per sample (per pass with ``multi_pass``).
        fps (float, optional): sample at this rate (frames per second of video time).
        max_frames (int, optional): cap on the number of frames in ``fps`` mode (the rate
            drops for long clips). Ignored in ``clip_len`` mode.
        test_mode (bool): centre of each segment (deterministic) if True, a random frame of
            each segment otherwise. Defaults to False.
        multi_pass (bool): test time only: ``P = ceil(L / T)`` interleaved passes of ``T``
            frames covering every frame of the clip, with ``T = clip_len`` or, in ``fps``
            mode, the frame count that ``fps``/``max_frames`` give. Defaults to False.
        num_frames (int, optional): the old name of ``clip_len`` (a deprecation warning).
    """

    def __init__(self,
                 clip_len: Optional[int] = None,
                 fps: Optional[float] = None,
                 max_frames: Optional[int] = None,
                 test_mode: bool = False,
                 multi_pass: bool = False,
                 num_frames: Optional[int] = None) -> None:
        if num_frames is not None:
            if clip_len is not None:
                raise ValueError('SampleSTVGFrames: `num_frames` is the old name of '
                                 '`clip_len`; give only `clip_len`.')
            warnings.warn(
                'SampleSTVGFrames(num_frames=...) is deprecated: the frames of a sample are '
                '`clip_len` (mmaction2\'s name); `num_frames` names the video\'s frame count.',
                DeprecationWarning)
            clip_len = num_frames
        if (clip_len is None) == (fps is None):
            raise ValueError('SampleSTVGFrames needs exactly one of `clip_len` and `fps`.')
        if clip_len is not None and int(clip_len) < 1:
            raise ValueError(f'clip_len must be >= 1, got {clip_len}')
        if fps is not None and not fps > 0:
            raise ValueError(f'fps must be > 0, got {fps}')
        if max_frames is not None and int(max_frames) < 1:
            raise ValueError(f'max_frames must be >= 1, got {max_frames}')
        if multi_pass and not test_mode:
            raise ValueError('multi_pass=True is a test-time mode: set test_mode=True.')
        self.clip_len = None if clip_len is None else int(clip_len)
        self.fps = None if fps is None else float(fps)
        self.max_frames = None if max_frames is None else int(max_frames)
        self.test_mode = test_mode
        self.multi_pass = multi_pass

    def _get_clip(self, results: dict) -> tuple:
        clip = results.get('clip')
        if clip is None:
            # A split without annotations (HC-STVG v2 `query_v2.json`) knows nothing of the
            # video until `*Init` opened it: fall back on its `total_frames` / `avg_fps` and
            # record them, so that the model and the metric see the real clip.
            total = results.get('num_frames') or results.get('total_frames')
            if total is None:
                raise KeyError(f'SampleSTVGFrames: query {results.get("qid")!r} has neither '
                               '`clip` nor `num_frames`.')
            clip = (0, int(total))
            results['clip'] = clip
            if results.get('num_frames') is None:
                results['num_frames'] = int(total)
            if results.get('fps') is None and results.get('avg_fps'):
                results['fps'] = float(results['avg_fps'])
        start, end = int(clip[0]), int(clip[1])
        if end <= start:
            raise ValueError(f'SampleSTVGFrames: query {results.get("qid")!r} has an empty '
                             f'clip [{start}, {end}).')
        return start, end

    def _frames_per_pass(self, span: int, results: dict) -> int:
        """``T``: the frame count of one sample (one pass) for a clip of ``span`` frames."""
        if self.clip_len is not None:
            return self.clip_len
        video_fps = results.get('fps') or results.get('avg_fps')
        if not video_fps or video_fps <= 0:
            raise KeyError(f'SampleSTVGFrames(fps={self.fps}): query '
                           f'{results.get("qid")!r} has no valid video `fps`.')
        num = math.ceil(span * self.fps / float(video_fps) - 1e-6)
        if self.max_frames is not None:
            num = min(num, self.max_frames)
        return max(1, min(num, span))

    def _segment_positions(self, span: int, num: int) -> np.ndarray:
        """(num,) offsets in ``[0, span)``, one per segment of ``span / num``."""
        if self.test_mode:
            offsets = np.full(num, 0.5)
        else:
            offsets = np.random.rand(num)
        pos = np.floor((np.arange(num) + offsets) * span / num).astype(np.int64)
        return np.clip(pos, 0, span - 1)

    def transform(self, results: dict) -> dict:
        """Add ``frame_inds``, ``num_passes``, ``clip_len``, ``frame_interval``, ``num_clips``.

        Args:
            results (dict): the result dict.

        Returns:
            dict: the result dict.
        """
        start, end = self._get_clip(results)
        span = end - start
        per_pass = self._frames_per_pass(span, results)
        if self.multi_pass:
            num_passes = math.ceil(span / per_pass)
            total = num_passes * per_pass
            pos = np.arange(total, dtype=np.int64) * span // total
        else:
            num_passes = 1
            pos = self._segment_positions(span, per_pass)
        frame_inds = (start + pos).astype(np.int64)
        results['frame_inds'] = frame_inds
        results['num_passes'] = int(num_passes)
        results['clip_len'] = int(frame_inds.shape[0])
        results['frame_interval'] = None
        results['num_clips'] = 1
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(clip_len={self.clip_len}, fps={self.fps}, '
                f'max_frames={self.max_frames}, test_mode={self.test_mode}, '
                f'multi_pass={self.multi_pass})')
