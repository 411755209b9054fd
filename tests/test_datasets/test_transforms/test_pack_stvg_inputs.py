import numpy as np
import pytest
import torch

from mmstvg.datasets.transforms import PackSTVGInputs
from mmstvg.structures import STVGDataSample


def _results(with_gt=True):
    res = dict(
        qid='q',
        video_name='v',
        sentence='a dog',
        sentence_type=None,
        num_frames=30,
        fps=10.0,
        clip=(0, 30),
        frame_inds=np.array([1, 5, 9]),
        num_passes=1,
        height=48,
        width=64,
        original_shape=(48, 64),
        img_shape=(24, 32),
        scale_factor=np.array([0.5, 0.5], np.float32),
        flip=np.bool_(True),
        imgs=[np.full((24, 32, 3), i, np.uint8) for i in range(3)],
        text_input_ids=np.array([2, 5, 6, 3]),
        text_attention_mask=np.ones(4, int))
    if with_gt:
        res.update(
            gt_span=(4, 8),
            gt_tube_bboxes=np.ones((4, 4), np.float32),
            gt_bboxes=np.array([[0, 0, 0, 0], [1, 2, 3, 4], [0, 0, 0, 0]], np.float32),
            frame_in_span=np.array([False, True, False]))
    return res


def test_pack_frames_and_gt():
    out = PackSTVGInputs()(_results())
    imgs = out['inputs']['imgs']
    assert imgs.dtype == torch.uint8 and imgs.shape == (3, 3, 24, 32)
    assert imgs[2].eq(2).all()
    text = out['inputs']['text']
    assert text['input_ids'].dtype == torch.long and text['input_ids'].tolist() == [2, 5, 6, 3]
    assert text['attention_mask'].dtype == torch.long
    sample = out['data_samples']
    assert isinstance(sample, STVGDataSample)
    meta = sample.metainfo
    assert meta['ori_shape'] == (48, 64) and meta['img_shape'] == (24, 32)
    assert meta['flip'] is True and meta['clip'] == (0, 30) and meta['qid'] == 'q'
    assert meta['frame_inds'].tolist() == [1, 5, 9] and meta['num_passes'] == 1
    gt = sample.gt_tube
    assert gt.span.tolist() == [4, 8] and gt.span.dtype == torch.long
    assert gt.bboxes.shape == (4, 4) and gt.bboxes.dtype == torch.float32
    assert gt.frame_bboxes.shape == (3, 4) and gt.frame_in_span.dtype == torch.bool


def test_pack_features_no_gt_and_meta_keys():
    res = _results(with_gt=False)
    del res['imgs'], res['original_shape'], res['img_shape']
    res['features'] = np.zeros((3, 7), np.float64)
    out = PackSTVGInputs(meta_keys=('qid', 'frame_inds'))(res)
    assert out['inputs']['features'].dtype == torch.float32
    assert out['inputs']['features'].shape == (3, 7) and 'imgs' not in out['inputs']
    sample = out['data_samples']
    assert 'gt_tube' not in sample
    assert set(sample.metainfo) == {'qid', 'frame_inds', 'ori_shape', 'img_shape'}
    assert sample.img_shape == (48, 64)


def test_pack_errors():
    res = _results()
    del res['imgs']
    with pytest.raises(KeyError, match='imgs'):
        PackSTVGInputs()(res)
    assert 'meta_keys' in repr(PackSTVGInputs())
