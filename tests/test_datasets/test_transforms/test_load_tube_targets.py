import numpy as np
import pytest

from mmstvg.datasets.transforms import LoadTubeTargets


def _info(span=(4, 8)):
    boxes = np.array([[10 + i, 20, 30 + i, 40] for i in range(span[1] - span[0])], np.float32)
    return dict(
        qid='q',
        gt_span=span,
        gt_bboxes=boxes,
        frame_inds=np.array([0, 3, 4, 4, 6, 7, 8, 11], np.int64))


def test_frame_targets():
    info = _info()
    tube = info['gt_bboxes'].copy()
    out = LoadTubeTargets()(info)
    np.testing.assert_array_equal(out['frame_in_span'],
                                  [False, False, True, True, True, True, False, False])
    assert out['gt_bboxes'].shape == (8, 4) and out['gt_bboxes'].dtype == np.float32
    np.testing.assert_array_equal(out['gt_bboxes'][[2, 3, 4, 5]], tube[[0, 0, 2, 3]])
    assert not out['gt_bboxes'][[0, 1, 6, 7]].any()
    np.testing.assert_array_equal(out['gt_tube_bboxes'], tube)
    assert out['gt_span'] == (4, 8)


def test_no_gt_split():
    out = LoadTubeTargets()(dict(qid='q', gt_span=None, gt_bboxes=None, frame_inds=np.arange(4)))
    assert 'gt_bboxes' not in out and out['gt_span'] is None and 'frame_in_span' not in out
    out = LoadTubeTargets()(dict(qid='q', frame_inds=np.arange(4)))
    assert 'gt_bboxes' not in out


def test_errors():
    info = _info()
    info['gt_bboxes'] = info['gt_bboxes'][:2]
    with pytest.raises(ValueError, match="'q'"):
        LoadTubeTargets()(info)
    info = _info()
    info['scale_factor'] = np.array([0.5, 0.5])
    with pytest.raises(RuntimeError, match='before spatial'):
        LoadTubeTargets()(info)
    with pytest.raises(ValueError, match='only one'):
        LoadTubeTargets()(dict(qid='q', gt_span=(0, 2), gt_bboxes=None, frame_inds=[0]))
    assert 'check_before_spatial' in repr(LoadTubeTargets())
