"""The trivial predictor every STVG result must beat: the whole clip, one fixed centre box.

It looks at no pixel and no word; its scores measure how much of a benchmark is explained by
priors alone (long GT spans, centred targets). Evaluate it with ``tools/test.py CONFIG``
without a checkpoint (it has no weights).
"""
from typing import Dict, Optional, Sequence

import torch

from mmstvg.registry import MODELS
from .base_grounder import BaseGrounder, SampleList


@MODELS.register_module()
class TrivialGrounder(BaseGrounder):
    """Predict span = clip and a centred box of ``box_ratio`` x the frame size.

    Args:
        box_ratio (Sequence[float]): (w, h) of the box relative to the original frame.
        data_preprocessor (dict, optional): data preprocessor config.
        test_cfg (dict, optional): test-time options of :class:`BaseGrounder`
            (``use_gt_span``: span = the GT span, the box at every frame of it).
    """

    def __init__(self,
                 box_ratio: Sequence[float] = (0.5, 0.5),
                 data_preprocessor: Optional[dict] = None,
                 init_cfg=None,
                 test_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg, test_cfg=test_cfg)
        self.box_ratio = tuple(float(r) for r in box_ratio)

    def _forward(self, inputs: Dict[str, torch.Tensor], data_samples: Optional[SampleList] = None):
        return dict()

    def loss(self, inputs, data_samples) -> dict:
        raise RuntimeError('TrivialGrounder has nothing to train; use tools/test.py.')

    def predict(self, inputs: Dict[str, torch.Tensor], data_samples: SampleList) -> SampleList:
        for sample in data_samples:
            meta = sample.metainfo
            start, end = self.gt_span_of(sample) if self.use_gt_span else \
                (int(meta['clip'][0]), int(meta['clip'][1]))
            h, w = meta['ori_shape'][:2]
            bw, bh = w * self.box_ratio[0], h * self.box_ratio[1]
            box = torch.tensor([(w - bw) / 2, (h - bh) / 2, (w + bw) / 2, (h + bh) / 2])
            frame_ids = torch.arange(start, end)
            sample.pred_tube = self.make_pred_tube((start, end), frame_ids,
                                                   box.expand(len(frame_ids), 4).clone())
        return data_samples
