import math

import torch

from mmstvg.models.losses import SpatialAttentionLoss


def test_box_mask_hand_computed():
    # 4x4 grid, cell centres at 0.125, 0.375, 0.625, 0.875; box [0.3, 0.3, 0.7, 0.9] covers
    # x in {0.375, 0.625} and y in {0.375, 0.625, 0.875}: 6 cells of 1/6 each.
    mask = SpatialAttentionLoss.box_mask(torch.tensor([[0.3, 0.3, 0.7, 0.9]]), 4, 4)[0]
    expected = torch.zeros(4, 4)
    expected[1:4, 1:3] = 1 / 6
    assert torch.allclose(mask, expected)
    # a box between cell centres falls back on the cell of its centre (0.5, 0.05) -> (0, 2)
    mask = SpatialAttentionLoss.box_mask(torch.tensor([[0.45, 0.0, 0.55, 0.1]]), 4, 4)[0]
    assert mask[0, 2] == 1 and mask.sum() == 1


def test_loss_values():
    loss = SpatialAttentionLoss(loss_weight=2.0)
    box = torch.tensor([[0.0, 0.0, 0.5, 0.5]])  # top-left 2x2 cells of a 4x4 map
    uniform = torch.full((1, 4, 4), 1 / 16)
    # CE = -sum(1/4 * log(1/16)) = log 16; times the weight 2
    assert torch.allclose(loss(uniform, box), torch.tensor(2 * math.log(16)))
    on_target = torch.zeros(1, 4, 4)
    on_target[0, :2, :2] = 0.25
    assert torch.allclose(loss(on_target, box), torch.tensor(2 * math.log(4)))
    assert loss(on_target, box) < loss(uniform, box)
