"""AntialiasResize: CG-STVG / TA-STVG's per-frame resize (height 420, aspect capped at 1.4)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmstvg.datasets.transforms.antialias_resize import AntialiasResize, capped_aspect_size


@pytest.mark.parametrize('wh,expected', [((1280, 720), (588, 420)), ((640, 480), (560, 420)),
                                         ((360, 640), (236, 420)), ((500, 420), (500, 420))])
def test_size_rule(wh, expected):
    assert capped_aspect_size(wh) == expected


def test_pixels_are_the_forks_antialiased_resize_and_boxes_follow():
    rng = np.random.default_rng(0)
    imgs = [rng.integers(0, 256, (72, 128, 3), dtype=np.uint8) for _ in range(3)]
    boxes = np.array([[10., 20., 60., 70.]], dtype=np.float32)
    results = dict(imgs=imgs, img_shape=(72, 128), gt_bboxes=boxes.copy(), modality='RGB')
    out = AntialiasResize(height=42)(results)
    assert out['img_shape'] == (42, 58) and out['imgs'][0].shape == (42, 58, 3)
    assert out['imgs'][0].dtype == np.float32
    # the forks: ToTensor (0..1) then torchvision's tensor Resize(antialias=True)
    ref = F.interpolate(
        torch.from_numpy(imgs[1]).permute(2, 0, 1)[None].float() / 255,
        size=(42, 58),
        mode='bilinear',
        align_corners=False,
        antialias=True)[0].permute(1, 2, 0).numpy()
    assert np.abs(out['imgs'][1] / 255 - ref).max() < 1e-6
    np.testing.assert_allclose(
        out['gt_bboxes'], boxes * [58 / 128, 42 / 72, 58 / 128, 42 / 72], rtol=1e-6)
