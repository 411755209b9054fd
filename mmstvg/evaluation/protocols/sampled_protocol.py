"""``sampled``: TubeDETR's protocol (most VidSTG / HC-STVG papers).

Only the frames TubeDETR evaluates on count: its frame selection at ``eval_fps`` over the
query's clip, capped at ``video_max_len`` frames (``tubedetr_sample_frames``), over
TubeDETR's clip (the mmstvg clip minus its last frame) with ``tubedetr_clip=True``.
``tIoU = |inter| / |union|`` in raw frames, ``vIoU = sum of IoU over the selected frames of
the intersection / selected frames of the union``; boxes between predicted frames are
interpolated. A query without prediction is an error. Kernel:
:func:`~mmstvg.evaluation.functional.eval_query_sampled`.
"""
from typing import Any, Dict, Mapping, Optional

from mmstvg.registry import EVAL_PROTOCOLS
from ..functional.stvg_protocols import eval_query_sampled
from .base_protocol import BaseProtocol


@EVAL_PROTOCOLS.register_module(name='sampled')
class SampledProtocol(BaseProtocol):
    """TubeDETR's ``sampled`` protocol (module docstring).

    Args:
        eval_fps (float): evaluation frame rate (> 0). Defaults to 5 (TubeDETR's).
        video_max_len (int, optional): cap on the evaluation frames of a query; None or
            <= 0 for no cap. Defaults to 200 (TubeDETR's).
        tubedetr_clip (bool): select frames over TubeDETR's clip (the query's clip minus its
            last frame, which TubeDETR never samples on HC-STVG nor VidSTG); False selects
            over the whole mmstvg clip. Defaults to True (comparable with published numbers).
    """

    def __init__(self,
                 eval_fps: float = 5.0,
                 video_max_len: Optional[int] = 200,
                 tubedetr_clip: bool = True) -> None:
        if not eval_fps or float(eval_fps) <= 0:
            raise ValueError(f'the sampled protocol: eval_fps must be > 0, got {eval_fps!r}')
        self.eval_fps = float(eval_fps)
        self.video_max_len = None if video_max_len is None else int(video_max_len)
        self.tubedetr_clip = bool(tubedetr_clip)

    def score(self, gt: Mapping, pred: Any, qid=None) -> Dict[str, float]:
        return eval_query_sampled(
            gt,
            pred,
            eval_fps=self.eval_fps,
            video_max_len=self.video_max_len,
            tubedetr_clip=self.tubedetr_clip,
            qid=qid)
