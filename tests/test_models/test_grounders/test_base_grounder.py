import torch

from mmstvg.models.grounders import BaseGrounder


def test_boxes_to_original_undoes_resize_crop_flip():
    # original 200x100 (H, W); resized x2 -> 400x200; cropped at (20, 40) to 300x150;
    # flipped horizontally within the 150-pixel-wide crop.
    meta = dict(ori_shape=(200, 100), img_shape=(300, 150), scale_factor=[2.0, 2.0],
                crop_bbox=[20, 40, 170, 340], flip=True, flip_direction='horizontal')
    orig = torch.tensor([[10., 30., 50., 90.]])
    x = orig * 2                               # resize: [20, 60, 100, 180]
    x = x - torch.tensor([20., 40., 20., 40.])  # crop:   [0, 20, 80, 140]
    x = torch.tensor([[150 - 80., 20., 150 - 0., 140.]])  # flip in width 150
    assert torch.allclose(BaseGrounder.boxes_to_original(x, meta), orig)


def test_positions_to_span_midpoints():
    inds = [0, 4, 8, 12]
    # one sampled frame in the middle stands for [2, 6)
    assert BaseGrounder.positions_to_span(1, 1, inds, (0, 16)) == (2, 6)
    # first/last positions extend to the clip edges
    assert BaseGrounder.positions_to_span(0, 3, inds, (0, 16)) == (0, 16)
    assert BaseGrounder.positions_to_span(2, 3, inds, (0, 15)) == (6, 15)
