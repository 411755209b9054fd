"""The hand-written box / temporal IoU agree with the libraries they do not use (mmdet's
``bbox_overlaps``, mmaction2's ``pairwise_temporal_iou``) where both are defined; the
comments in ``box_iou.py`` and ``mmstvg/structures/span.py`` say what the libraries lack."""
import numpy as np
import torch

from mmstvg.evaluation.functional import pairwise_box_iou
from mmstvg.structures import temporal_iou


def test_box_iou_has_mmdets_convention():
    from mmdet.structures.bbox import bbox_overlaps
    rng = np.random.RandomState(0)
    xy1, xy2 = rng.uniform(0, 50, (40, 2)), rng.uniform(0, 50, (30, 2))
    boxes1 = np.concatenate([xy1, xy1 + rng.uniform(0, 30, (40, 2))], 1)
    boxes2 = np.concatenate([xy2, xy2 + rng.uniform(0, 30, (30, 2))], 1)
    ref = bbox_overlaps(torch.from_numpy(boxes1), torch.from_numpy(boxes2)).numpy()
    np.testing.assert_array_equal(pairwise_box_iou(boxes1, boxes2), ref)
    # no `+ 1` pixel term in either: a 1-pixel box in a 2-pixel one covers a quarter
    assert pairwise_box_iou([[0, 0, 1, 1]], [[0, 0, 2, 2]])[0, 0] == 0.25


def test_temporal_iou_is_mmaction2s_on_half_open_spans():
    from mmaction.evaluation.functional import pairwise_temporal_iou
    spans = [(0, 10), (5, 20), (15, 24), (10, 20), (30, 40), (7, 8)]
    for a in spans:
        ref = pairwise_temporal_iou(np.array(a, float), np.array(spans, float)).reshape(-1)
        ours = [temporal_iou(a, b) for b in spans]
        np.testing.assert_allclose(ours, ref, rtol=1e-6)  # theirs is float32
