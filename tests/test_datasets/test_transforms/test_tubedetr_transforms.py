"""TubeDETR's pre-processing: frame sampling (5 fps, <= 200 frames, its clip), the training
temporal crops, DETR's resize (its size rule) and random-size crop."""
import numpy as np
import pytest

from mmstvg.datasets.transforms import (DETRRandomSizeCrop, DETRResize, SampleTubeDETRFrames,
                                        STVGCrop)
from mmstvg.datasets.transforms.detr_resize import detr_resize_size


def _tubedetr_frame_ids(start, end, video_fps, fps=5, max_len=200):
    """The released dataset's loop (datasets/vidstg.py, __init__), over [start, end)."""
    rate = fps / video_fps
    ids = [start]
    for f in range(start, end):
        if int(ids[-1] * rate) < int(f * rate):
            ids.append(f)
    if len(ids) > max_len:
        ids = [ids[(j * len(ids)) // max_len] for j in range(max_len)]
    return ids


@pytest.mark.parametrize('clip,fps', [((0, 600), 30.0), ((17, 2400), 29.97), ((0, 480), 24.0)])
def test_test_frames_are_tubedetrs(clip, fps):
    out = SampleTubeDETRFrames(test_mode=True)(dict(qid='q', clip=clip, fps=fps))
    # TubeDETR's clip drops mmstvg's last frame
    assert out['frame_inds'].tolist() == _tubedetr_frame_ids(clip[0], clip[1] - 1, fps)
    assert out['num_passes'] == 1 and out['clip_len'] == len(out['frame_inds'])


def test_train_crop_keeps_the_annotated_moment():
    t = SampleTubeDETRFrames(crop_prob=1.0)
    info = dict(qid='q', clip=(0, 300), fps=30.0, gt_span=(100, 160))
    full = _tubedetr_frame_ids(0, 299, 30.0)
    inside = [f for f in full if 100 <= f < 160]
    np.random.seed(0)
    firsts, lasts = set(), set()
    for _ in range(40):
        inds = t(dict(info))['frame_inds'].tolist()
        assert set(inside) <= set(inds)  # the moment is never cut
        assert inds == full[full.index(inds[0]):full.index(inds[-1]) + 1]  # contiguous
        firsts.add(inds[0])
        lasts.add(inds[-1])
        assert inds[0] < inside[0] and inds[-1] > inside[-1]  # both ends were cropped
    assert len(firsts) > 5 and len(lasts) > 5
    # crop_prob 0: the test frames
    assert SampleTubeDETRFrames(crop_prob=0.0)(dict(info))['frame_inds'].tolist() == full


def test_train_window_of_max_frames_train():
    t = SampleTubeDETRFrames(crop_prob=0.0, max_frames_train=20)
    info = dict(qid='q', clip=(0, 300), fps=30.0, gt_span=(150, 180))
    full = _tubedetr_frame_ids(0, 299, 30.0)
    inter = [i for i, f in enumerate(full) if 150 <= f < 180]
    np.random.seed(1)
    for _ in range(20):
        inds = t(dict(info))['frame_inds'].tolist()
        first = full.index(inds[0])
        assert len(inds) == 20 and inds == full[first:first + 20]
        # the window starts in (first(I) - 20, last(I)]: it overlaps the moment
        assert inter[0] - 20 < first <= inter[-1]


@pytest.mark.parametrize(
    'wh,expected',
    [
        ((640, 480), (469, 352)),  # 4:3
        ((640, 360), (586, 330)),  # 16:9: the long side caps at 587, floor -> 586
        ((1280, 720), (586, 330)),
        ((480, 640), (352, 469)),  # portrait
        ((469, 352), (469, 352)),  # short side already 352: unchanged
        # very wide: short side round(587 * 100 / 1000) = 59, long side int(59 * 10) = 590
        # (DETR's rounding may pass max_size)
        ((1000, 100), (590, 59)),
    ])
def test_detr_resize_size(wh, expected):
    assert detr_resize_size(wh, 352, 587) == expected


def test_detr_resize_frames_boxes_and_scale_factor():
    imgs = [np.random.randint(0, 255, (360, 640, 3), dtype=np.uint8) for _ in range(3)]
    boxes = np.array([[10, 20, 110, 220], [0, 0, 0, 0], [320, 180, 640, 360]], np.float32)
    out = DETRResize(
        352, max_size=587)(
            dict(imgs=imgs, img_shape=(360, 640), modality='RGB', gt_bboxes=boxes))
    assert out['img_shape'] == (330, 586) and out['imgs'][0].shape == (330, 586, 3)
    sx, sy = 586 / 640, 330 / 360
    np.testing.assert_allclose(out['scale_factor'], [sx, sy], rtol=1e-6)
    np.testing.assert_allclose(out['gt_bboxes'], boxes * [sx, sy, sx, sy], rtol=1e-6)
    assert out['keep_ratio'] is True


def test_detr_random_resize_draws_every_scale():
    t = DETRResize([224, 256, 288], max_size=587)
    seen = set()
    np.random.seed(0)
    for _ in range(30):
        img = np.zeros((480, 640, 3), np.uint8)
        seen.add(t(dict(imgs=[img], img_shape=(480, 640), modality='RGB'))['img_shape'][0])
    assert seen == {224, 256, 288}


def test_detr_random_size_crop_respects_the_tube_through_stvg_crop():
    imgs = [np.zeros((300, 400, 3), np.uint8) for _ in range(4)]
    boxes = np.array([[50, 50, 100, 100]] * 3 + [[0, 0, 0, 0]], np.float32)
    in_span = np.array([True, True, True, False])
    crop = STVGCrop(
        crop=dict(type='DETRRandomSizeCrop', min_size=192, max_size=587), max_tries=100)
    np.random.seed(0)
    for _ in range(10):
        out = crop(
            dict(
                imgs=list(imgs),
                img_shape=(300, 400),
                gt_bboxes=boxes.copy(),
                frame_in_span=in_span))
        h, w = out['img_shape']
        assert 192 <= h <= 300 and 192 <= w <= 400
        assert out['imgs'][0].shape[:2] == (h, w)
        kept = out['gt_bboxes'][:3]
        assert ((kept[:, 2:] - kept[:, :2]) > 0).all()  # the target is never cut out
        x1, y1 = out['crop_bbox'][:2]
        np.testing.assert_allclose(kept[0], np.clip(boxes[0] - [x1, y1, x1, y1], 0, None))
    with pytest.raises(ValueError, match='smaller than min_size'):
        DETRRandomSizeCrop(192, 587)(dict(imgs=[np.zeros((100, 100, 3))], img_shape=(100, 100)))
