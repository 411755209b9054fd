"""HCSTVGDataset: v1 / v2 layouts (generated files, conversions checked by hand) and the real
v2 test split (``tests/data/hcstvg/query_v2.json``, 2,931 queries, no GT)."""
import json
import os.path as osp

import numpy as np
import pytest

from mmstvg.datasets import HCSTVGDataset
from mmstvg.registry import DATASETS
from mmstvg.testing import dump_json

DATA = osp.join(osp.dirname(osp.dirname(__file__)), 'data', 'hcstvg')

V1 = {
    '55_vfjywN5CN0Y.mp4': {
        'bbox': [[10, 20, 30, 40], [12, 22, 30, 41], [14, 24, 30, 42]],
        'st_frame': 3,
        'st_time': 0.1,
        'ed_time': 0.2,
        'img_num': 100,
        'caption': '  The woman in red clothes turns in a circle. ',
        'width': 640,
        'height': 360
    },
    '7_abc.mkv': {
        'bbox': [[0, 0, 5, 5]],
        'st_frame': 1,
        'st_time': 0.0,
        'ed_time': 0.05,
        'img_num': 500,
        'caption': 'The man sits.',
        'width': 320,
        'height': 240
    },
}

V2 = {
    '3_5MxjqHfkWFI.mkv': {
        # x2 = 600 + 30 = 630 > H = 360: kept as is only if W/H are read as img_size = [H, W, C]
        'bbox': [[600, 300, 30, 50], [601, 301, 30, 50]],
        'st_frame': 10,
        'ed_frame': 11,
        'img_num': 600,
        'img_size': [360, 640, 3],
        'English': 'The man in blue clothes stands up.',
        'Chinese': '...',
        'st_time': 0.3,
        'ed_time': 0.4
    },
}


def test_v1_conversion(tmp_path):
    ann = dump_json(tmp_path / 'train.json', V1)
    ds = HCSTVGDataset(ann, data_prefix=dict(video='videos', feature='feats'), pipeline=[])
    assert ds.layout == 'v1' and len(ds) == 2
    info = ds[0]
    assert info['qid'] == info['video_name'] == '55_vfjywN5CN0Y.mp4'
    assert info['filename'] == osp.join('videos', '55_vfjywN5CN0Y.mp4')
    assert info['feature_path'] == osp.join('feats', '55_vfjywN5CN0Y.npy')
    assert info['sentence'] == 'The woman in red clothes turns in a circle.'
    assert info['sentence_type'] is None
    # st_frame 3 (1-based) -> 0-based 2; 3 boxes -> [2, 5)
    assert info['gt_span'] == (2, 5)
    np.testing.assert_array_equal(
        info['gt_bboxes'],
        np.array([[10, 20, 40, 60], [12, 22, 42, 63], [14, 24, 44, 66]], dtype=np.float32))
    assert info['gt_bboxes'].dtype == np.float32
    assert info['num_frames'] == 100 and info['fps'] == pytest.approx(5.0)
    assert info['clip'] == (0, 100)
    assert (info['width'], info['height']) == (640, 360)
    assert info['extra'] == dict(layout='v1', st_time=0.1, ed_time=0.2)
    second = ds[1]
    assert second['gt_span'] == (0, 1) and second['fps'] == pytest.approx(25.0)
    assert ds.skipped_counts() == {} and ds.num_clipped_boxes == 0


def test_v2_conversion_and_versions(tmp_path):
    ann = dump_json(tmp_path / 'val_v2.json', V2)
    for version in ('auto', 'v2'):
        ds = HCSTVGDataset(ann, version=version, video_duration=30.0)
        assert ds.layout == 'v2'
        info = ds[0]
        assert info['sentence'] == 'The man in blue clothes stands up.'
        assert (info['height'], info['width']) == (360, 640)
        assert info['gt_span'] == (9, 11)  # inclusive ed_frame 11 (1-based) -> end 11
        np.testing.assert_array_equal(info['gt_bboxes'],
                                      [[600, 300, 630, 350], [601, 301, 631, 351]])
        assert info['fps'] == pytest.approx(20.0)  # 600 / 30
        assert info['feature_path'] is None
        assert info['extra']['Chinese'] == '...' and 'English' not in info['extra']
    # a v2 file read as v1 lacks `caption`
    with pytest.raises(ValueError, match='caption'):
        HCSTVGDataset(ann, version='v1')
    with pytest.raises(ValueError, match='version'):
        HCSTVGDataset(ann, version='v3')


def test_registry_and_data_root(tmp_path):
    dump_json(tmp_path / 'train.json', V1)
    ds = DATASETS.build(
        dict(
            type='HCSTVGDataset',
            ann_file='train.json',
            data_root=str(tmp_path),
            data_prefix=dict(video='v1_video'),
            serialize_data=False))
    assert isinstance(ds, HCSTVGDataset)
    assert ds.get_data_info(1)['filename'] == osp.join(str(tmp_path), 'v1_video', '7_abc.mkv')


def test_real_query_v2_no_gt():
    ann = osp.join(DATA, 'query_v2.json')
    ds = HCSTVGDataset(ann, data_prefix=dict(video='v2_video'), test_mode=True)
    assert ds.layout == 'query'
    assert len(ds) == 2931
    raw = json.load(open(ann))
    info = ds[0]
    assert info['qid'] in raw and info['sentence'] == raw[info['qid']].strip()
    assert info['filename'] == osp.join('v2_video', info['qid'])
    for key in ('gt_span', 'gt_bboxes', 'num_frames', 'fps', 'height', 'width', 'clip'):
        assert info[key] is None, key
    assert len({ds.get_data_info(i)['qid'] for i in range(len(ds))}) == 2931
    with pytest.raises(ValueError, match='query-only'):
        HCSTVGDataset(ann, version='v1')


def test_record_fps_wins_over_video_duration(tmp_path):
    """HC-STVG records have no `fps` (img_num / 20); a record that states one is believed."""
    import json

    from mmstvg.datasets import HCSTVGDataset
    rec = dict(
        bbox=[[1, 2, 3, 4]],
        st_frame=5,
        ed_frame=5,
        img_num=64,
        English='a man.',
        img_size=[48, 64, 3])
    ann = tmp_path / 'a.json'
    ann.write_text(json.dumps({'x.mp4': rec, 'y.mp4': dict(rec, fps=16)}))
    ds = HCSTVGDataset(ann_file=str(ann), pipeline=[], test_mode=True)
    assert [ds.get_data_info(i)['fps'] for i in range(2)] == [64 / 20, 16.0]


def test_tubedetr_reading_of_st_frame(tmp_path):
    """``st_frame_base=0`` reads ``st_frame`` as TubeDETR does (0-based, one frame later);
    a tube reaching the last frame loses its box past the end."""
    ann = dump_json(tmp_path / 'train.json', {
        **V1, 'end.mp4': dict(V1['7_abc.mkv'], bbox=[[0, 0, 5, 5]] * 3, st_frame=498)
    })
    default = {i['qid']: i for i in HCSTVGDataset(ann).load_data_list()}
    tubedetr = {i['qid']: i for i in HCSTVGDataset(ann, st_frame_base=0).load_data_list()}
    assert default['55_vfjywN5CN0Y.mp4']['gt_span'] == (2, 5)
    assert tubedetr['55_vfjywN5CN0Y.mp4']['gt_span'] == (3, 6)
    np.testing.assert_array_equal(tubedetr['55_vfjywN5CN0Y.mp4']['gt_bboxes'],
                                  default['55_vfjywN5CN0Y.mp4']['gt_bboxes'])
    assert default['end.mp4']['gt_span'] == (497, 500)
    assert tubedetr['end.mp4']['gt_span'] == (498, 500)
    assert len(tubedetr['end.mp4']['gt_bboxes']) == 2
    with pytest.raises(ValueError, match='st_frame_base'):
        HCSTVGDataset(ann, st_frame_base=2)
