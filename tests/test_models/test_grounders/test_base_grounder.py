import torch

from mmstvg.models.grounders import BaseGrounder
from mmstvg.structures import STVGDataSample


def test_boxes_to_original_undoes_resize_crop_flip():
    # original 200x100 (H, W); resized x2 -> 400x200; cropped at (20, 40) to 300x150;
    # flipped horizontally within the 150-pixel-wide crop.
    meta = dict(
        ori_shape=(200, 100),
        img_shape=(300, 150),
        scale_factor=[2.0, 2.0],
        crop_bbox=[20, 40, 170, 340],
        flip=True,
        flip_direction='horizontal')
    orig = torch.tensor([[10., 30., 50., 90.]])
    x = orig * 2  # resize: [20, 60, 100, 180]
    x = x - torch.tensor([20., 40., 20., 40.])  # crop:   [0, 20, 80, 140]
    x = torch.tensor([[150 - 80., 20., 150 - 0., 140.]])  # flip in width 150
    assert torch.allclose(BaseGrounder.boxes_to_original(x, meta), orig)


def test_boxes_to_original_resize_crop_resize():
    # original 100x200 (H, W) -> resize x2 (200x400) -> crop [40, 20, 240, 120] (200 wide,
    # 100 high) -> resize x0.5 to 50x100. Total scale_factor = 2 * 0.5 = 1.
    meta = dict(
        ori_shape=(100, 200),
        img_shape=(50, 100),
        scale_factor=[1.0, 1.0],
        crop_bbox=[40, 20, 240, 120])
    orig = torch.tensor([[30., 20., 70., 50.]])
    x = orig * 2  # [60, 40, 140, 100]
    x = x - torch.tensor([40., 20., 40., 20.])  # [20, 20, 100, 80]
    x = x * 0.5  # [10, 10, 50, 40]
    assert torch.allclose(BaseGrounder.boxes_to_original(x, meta), orig)


def test_predict_tubes_averages_repeated_frames(network_free_grounder):
    """Frames sampled more than once (multi-pass sampling of a short clip) carry the mean of
    their boxes (``Tube.merge_repeated``)."""
    sample = STVGDataSample(
        metainfo=dict(
            frame_inds=[3, 3, 4, 6, 6, 6],
            clip=(0, 8),
            img_shape=(10, 10),
            ori_shape=(10, 10),
            scale_factor=[1., 1.]))
    boxes = torch.tensor([[0., 0, 2, 2], [2, 2, 4, 4], [1, 1, 1, 1], [0, 0, 3, 3], [3, 3, 6, 6],
                          [6, 6, 9, 9]]) / 10
    (out, ) = network_free_grounder().predict_tubes([sample], boxes[None], [(0, 5, 0.5)])
    assert out.pred_tube.frame_ids.tolist() == [3, 4, 6]
    torch.testing.assert_close(out.pred_tube.bboxes,
                               torch.tensor([[1., 1, 3, 3], [1, 1, 1, 1], [3, 3, 6, 6]]))
    assert out.pred_tube.bboxes.dtype == torch.float32 and out.pred_tube.score == 0.5


def test_predict_tubes_takes_bf16_boxes(network_free_grounder):
    """Boxes of a bf16 autocast forward become float32 pixel boxes (numpy has no bfloat16:
    the tube conversion failed on them)."""
    sample = STVGDataSample(
        metainfo=dict(
            frame_inds=[0, 1],
            clip=(0, 2),
            img_shape=(10, 10),
            ori_shape=(10, 10),
            scale_factor=[1., 1.]))
    boxes = torch.tensor([[[0.1, 0.2, 0.5, 0.7], [0.3, 0.3, 0.9, 0.8]]]).bfloat16()
    (out, ) = network_free_grounder().predict_tubes([sample], boxes, [(0, 1, 0.5)])
    assert out.pred_tube.bboxes.dtype == torch.float32
    torch.testing.assert_close(out.pred_tube.bboxes, boxes[0].float() * 10)
