"""Which frames of a video :class:`~mmstvg.visualization.STVGVisualizer` draws: the frame
range (the video, the query clip or the spans), a stride that caps the number of drawn frames
(keeping the duration), and the key frames of the montage.

Frame indices are 0-based indices of the ORIGINAL video, ranges half-open.
"""
import math
from typing import Optional, Sequence, Tuple

import numpy as np
from mmengine.structures import BaseDataElement

from mmstvg.structures import Tube


def plan_frames(data_sample: Optional[BaseDataElement],
                video_num_frames: Optional[int] = None,
                frame_range: Optional[Sequence[int]] = None,
                max_frames: Optional[int] = None) -> Tuple[Tuple[int, int], np.ndarray]:
    """The frames to draw.

    Args:
        data_sample (BaseDataElement, optional): gives ``num_frames`` (metainfo) and the
            spans (fallback range: their hull with the ``clip``).
        video_num_frames (int, optional): frames of the video itself.
        frame_range (Sequence[int], optional): half-open ``[first, last + 1)`` to draw.
            Defaults to the whole video: ``[0, video_num_frames)``, else ``[0,
            metainfo['num_frames'])``, else the hull of the clip and the spans.
        max_frames (int, optional): draw every ``ceil(len(range) / max_frames)``-th frame
            of the range so that at most ``max_frames`` are drawn. None draws all.

    Returns:
        tuple: ``frame_range`` (the range the timeline covers) and ``frame_inds`` (F,)
        int64 sorted original frames to draw.
    """
    if frame_range is None:
        num_frames = video_num_frames
        if num_frames is None and data_sample is not None:
            num_frames = data_sample.metainfo.get('num_frames', None)
        if num_frames is not None:
            frame_range = (0, int(num_frames))
        else:
            spans = []
            if data_sample is not None:
                if data_sample.metainfo.get('clip', None) is not None:
                    spans.append(tuple(data_sample.metainfo['clip']))
                for key in ('gt_tube', 'pred_tube'):
                    tube = Tube.from_element(data_sample.get(key, None))
                    if tube is not None:
                        spans.append(tube.span)
            if not spans:
                raise ValueError('STVGVisualizer: cannot tell which frames to draw; pass '
                                 'frame_range or set metainfo num_frames')
            frame_range = (min(s[0] for s in spans), max(s[1] for s in spans))
    start, end = max(int(frame_range[0]), 0), int(frame_range[1])
    if video_num_frames is not None:
        end = min(end, int(video_num_frames))
    if end <= start:
        raise ValueError(f'STVGVisualizer: empty frame range [{start}, {end})')
    stride = 1
    if max_frames is not None:
        if isinstance(max_frames, bool) or int(max_frames) != max_frames or \
                max_frames < 1:
            raise ValueError(f'STVGVisualizer: max_frames must be an integer >= 1 (None: '
                             f'every frame), got {max_frames!r}')
        stride = max(int(math.ceil((end - start) / float(max_frames))), 1)
    return (start, end), np.arange(start, end, stride, dtype=np.int64)


def select_keyframes(frame_inds: np.ndarray, gt: Optional[Tube], pred: Optional[Tube],
                     num_keyframes: int) -> np.ndarray:
    """Up to ``num_keyframes`` of ``frame_inds`` for the montage: evenly spread over the
    hull of the GT and predicted spans (over all ``frame_inds`` when neither exists or
    the hull holds no drawn frame)."""
    spans = [t.span for t in (gt, pred) if t is not None]
    cand = frame_inds
    if spans:
        lo, hi = min(s[0] for s in spans), max(s[1] for s in spans)
        inside = frame_inds[(frame_inds >= lo) & (frame_inds < hi)]
        if inside.size:
            cand = inside
    num = min(max(num_keyframes, 1), cand.size)
    pos = np.linspace(0, cand.size - 1, num).round().astype(np.int64)
    return np.unique(cand[pos])
