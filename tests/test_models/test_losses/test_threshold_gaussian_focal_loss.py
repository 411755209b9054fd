"""ThresholdGaussianFocalLoss (GKCMN Eq. 6) by hand on a 3x3 map."""
import math

import torch

from mmstvg.models.losses import ThresholdGaussianFocalLoss


def test_hand_computed_3x3():
    pred = torch.tensor([[0.5, 0.2, 0.1], [0.2, 0.8, 0.2], [0.1, 0.2, 0.1]])
    target = torch.tensor([[0.5, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.9]])
    loss = ThresholdGaussianFocalLoss(alpha=2, beta=4, gamma=0.8)
    # positives (h > 0.8): centre (p=0.8) and corner (p=0.1)
    pos = (0.2**2) * math.log(0.8) + (0.9**2) * math.log(0.1)
    # negatives: (1-h)^4 p^2 log(1-p)
    neg = (0.5**4) * 0.25 * math.log(0.5)
    neg += 4 * (0.04 * math.log(0.8))  # four cells with p = 0.2, h = 0
    neg += 1 * (0.01 * math.log(0.9))  # corner (0, 2) with p = 0.1, h = 0
    neg += 1 * (0.01 * math.log(0.9))  # corner (2, 0)
    expected = -(pos + neg) / 2
    torch.testing.assert_close(
        loss(pred, target, avg_factor=2), torch.tensor(expected, dtype=torch.float32))
    # gamma decides the positives: with gamma = 0.95 the 0.9 corner is a negative
    strict = ThresholdGaussianFocalLoss(alpha=2, beta=4, gamma=0.95)
    assert not torch.isclose(strict(pred, target, avg_factor=2), loss(pred, target, avg_factor=2))
