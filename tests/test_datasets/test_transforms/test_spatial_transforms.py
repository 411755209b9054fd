"""mmaction2's spatial transforms keep the (N, 4) ``gt_bboxes`` on the target's pixels (one
resize / crop / flip for all frames), plus ``STVGFlip`` (sentence, zero rows, shared frames).
"""
import random

import numpy as np
import pytest
from mmcv.transforms import Compose
from stvg_transform_helpers import red_bbox, render_frame, square_box

from mmstvg.datasets.transforms import LoadTubeTargets, STVGCrop, STVGFlip
from mmstvg.registry import TRANSFORMS

FRAME_INDS = np.array([0, 5, 5, 11, 17, 23], np.int64)  # frame 5 twice
SPAN = (3, 20)  # frames 0 and 23 are outside the GT span


def _results():
    """Decoded-like results (exact synthetic frames), after LoadTubeTargets."""
    imgs = [render_frame(i) for i in FRAME_INDS]
    imgs[2] = imgs[1]  # a repeated index shares its array, as mmaction's PyAVDecode does
    results = dict(
        qid='q',
        sentence='the man on the left',
        imgs=imgs,
        img_shape=(48, 64),
        original_shape=(48, 64),
        frame_inds=FRAME_INDS,
        gt_span=SPAN,
        gt_bboxes=np.stack([square_box(i) for i in range(*SPAN)]))
    return LoadTubeTargets()(results)


def _check_boxes(results, atol=1.5):
    """Every in-span box lies on the square's pixels; out-of-span rows are zero."""
    h, w = results['img_shape']
    for img, box, in_span in zip(results['imgs'], results['gt_bboxes'], results['frame_in_span']):
        assert img.shape[:2] == (h, w)
        if not in_span:
            assert not box.any()
            continue
        visible = red_bbox(img)
        if visible is None:  # the crop removed the target: its box is degenerate
            assert box[2] - box[0] <= atol or box[3] - box[1] <= atol
        else:
            np.testing.assert_allclose(box, visible, atol=atol)


PIPELINES = {
    'resize': [dict(type='mmaction.Resize', scale=(-1, 96))],
    'resize_noratio': [dict(type='mmaction.Resize', scale=(100, 60), keep_ratio=False)],
    'center_crop': [
        dict(type='mmaction.Resize', scale=(-1, 64)),
        dict(type='mmaction.CenterCrop', crop_size=(56, 48))
    ],
    'random_crop': [dict(type='mmaction.RandomCrop', size=40)],
    'resize_crop_flip': [
        dict(type='mmaction.Resize', scale=(-1, 96)),
        dict(type='mmaction.RandomCrop', size=80),
        dict(type='STVGFlip', flip_ratio=1.0)
    ],
    # STVGCrop: random windows that cut the square; boxes exact, tube kept
    'stvg_random_resized_crop': [
        dict(
            type='STVGCrop',
            crop=dict(type='mmaction.RandomResizedCrop', area_range=(0.2, 0.6)),
            max_tries=30),
        dict(type='mmaction.Resize', scale=(56, 56), keep_ratio=False),
        dict(type='STVGFlip', flip_ratio=1.0)
    ],
    'stvg_random_crop': [
        dict(type='mmaction.Resize', scale=(-1, 96)),
        dict(
            type='STVGCrop', crop=dict(type='mmaction.RandomCrop', size=72), min_visible_ratio=0.3)
    ],
}


@pytest.mark.parametrize('name', list(PIPELINES))
def test_boxes_follow_pixels(name):
    pipeline = Compose([TRANSFORMS.build(t) for t in PIPELINES[name]])
    for seed in range(6):
        random.seed(seed)  # mmaction's crops draw offsets with `random`, sizes with numpy
        np.random.seed(seed)
        out = pipeline(_results())
        _check_boxes(out, atol=1.0 if 'stvg' in name else 1.5)
        if 'stvg' in name:
            assert 'crop_bbox' in out  # a window keeping the tube was found
            assert all(
                red_bbox(img) is not None for img, s in zip(out['imgs'], out['frame_in_span'])
                if s)
    if 'flip' in name:
        assert out['flip'] is True and out['sentence'] == 'the man on the right'


def test_mmaction_crop_clips_to_w_minus_1():
    """Why STVGCrop recomputes boxes: mmaction clips x2 to w - 1 (inclusive pixels)."""
    res = _results()
    res['gt_bboxes'][:] = [[30, 10, 64, 20]] * len(FRAME_INDS)
    res['frame_in_span'][:] = True
    crop = dict(type='mmaction.CenterCrop', crop_size=(40, 40))
    raw = TRANSFORMS.build(crop)(dict(res))
    assert raw['gt_bboxes'][0].tolist() == [18, 6, 39, 16]  # crop_bbox [12, 4, 52, 44]
    out = STVGCrop(crop=crop)(dict(res))
    assert out['gt_bboxes'][0].tolist() == [18, 6, 40, 16]
    # a window that would lose the target is re-drawn; none found -> uncropped
    res['gt_bboxes'][:] = [[0, 0, 8, 8]] * len(FRAME_INDS)
    out = STVGCrop(crop=crop, max_tries=2)(dict(res))
    assert out['img_shape'] == (48, 64) and 'crop_bbox' not in out


def test_mmaction_flip_flips_shared_frames_twice():
    """Why STVGFlip flips out of place (and why zero rows need restoring)."""
    results = _results()
    results['modality'] = 'RGB'
    out = TRANSFORMS.build(dict(type='mmaction.Flip', flip_ratio=1.0))(results)
    assert out['imgs'][1] is out['imgs'][2]
    np.testing.assert_array_equal(out['imgs'][1], render_frame(5))  # flipped twice: unchanged
    assert out['gt_bboxes'][0].tolist() == [64, 0, 64, 0]  # zero row of frame 0 moved
    out = STVGFlip(flip_ratio=1.0)(_results())
    _check_boxes(out, atol=0)
    assert out['flip'] is True and out['flip_direction'] == 'horizontal'


def test_no_flip_keeps_everything():
    out = STVGFlip(flip_ratio=0.0)(_results())
    assert out['flip'] is False and out['sentence'] == 'the man on the left'
    _check_boxes(out, atol=0)
    # without frame_in_span (no LoadTubeTargets), all-zero rows are what stays zero
    res = _results()
    del res['frame_in_span']
    out = STVGFlip(flip_ratio=1.0)(res)
    assert not out['gt_bboxes'][[0, 5]].any() and out['gt_bboxes'][1:5].all()


def test_flip_mirrors_clip_feature_maps():
    """Precomputed (N, h, w, C) clip maps are mirrored with the frames (cell (y, x) of the
    flipped map is cell (y, w - 1 - x) of the original); (N, C) vectors are not touched."""
    maps = np.arange(2 * 2 * 3 * 2, dtype=np.float32).reshape(2, 2, 3, 2)
    out = STVGFlip(flip_ratio=1.0)(dict(_results(), features=maps.copy()))
    assert out['features'].shape == maps.shape
    for x in range(3):
        np.testing.assert_array_equal(out['features'][:, :, x], maps[:, :, 2 - x])
    out = STVGFlip(flip_ratio=0.0)(dict(_results(), features=maps.copy()))
    np.testing.assert_array_equal(out['features'], maps)
    vecs = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = STVGFlip(flip_ratio=1.0)(dict(_results(), features=vecs.copy()))
    np.testing.assert_array_equal(out['features'], vecs)


@pytest.mark.parametrize('src,dst', [
    ('The man on the LEFT walks to the Right', 'The man on the RIGHT walks to the Left'),
    ('the leftmost dog, left-hand side', 'the rightmost dog, right-hand side'),
    ('Leftmost and rightwards; leftover cleft', 'Rightmost and leftwards; leftover cleft'),
    ('nothing to swap', 'nothing to swap'),
])
def test_sentence_swap(src, dst):
    assert STVGFlip().swap_words(src) == dst
    out = STVGFlip(flip_ratio=1.0)(
        dict(sentence=src, img_shape=(4, 4), imgs=[np.zeros((4, 4, 3), np.uint8)]))
    assert out['sentence'] == dst


def test_repr():
    assert 'word_pairs' in repr(STVGFlip())
    assert 'RandomCrop' in repr(STVGCrop(crop=dict(type='mmaction.RandomCrop', size=8)))
    with pytest.raises(ValueError, match='lazy'):
        STVGCrop(crop=dict(type='mmaction.RandomCrop', size=8, lazy=True))
