"""VidSTGDataset on the real files: the val sentence file (query counts) and the 4 test records
of video 11566930393 with its VidOR box file (tubes checked against the raw boxes)."""
import json
import os.path as osp
import shutil
from collections import Counter

import numpy as np
import pytest

from mmstvg.datasets import VidSTGDataset
from mmstvg.registry import DATASETS

DATA = osp.join(osp.dirname(osp.dirname(__file__)), 'data', 'vidstg')
VAL = osp.join(DATA, 'val_annotations.json')
TEST4 = osp.join(DATA, 'test_annotations_11566930393.json')
VIDOR = osp.join(DATA, 'vidor')
VID = '11566930393'


def _raw_box(trajectories, fid, tid):
    for obj in trajectories[fid]:
        if obj['tid'] == tid:
            b = obj['bbox']
            return [b['xmin'], b['ymin'], b['xmax'], b['ymax']]
    return None


def test_val_query_counts_without_boxes():
    ds = VidSTGDataset(VAL, load_boxes=False, pipeline=[])
    types = Counter(ds.get_data_info(i)['sentence_type'] for i in range(len(ds)))
    assert types == {'declarative': 3996, 'interrogative': 4960}
    qids = [ds.get_data_info(i)['qid'] for i in range(len(ds))]
    assert len(set(qids)) == len(qids)  # unique although val repeats (vid, used_segment)
    info = ds[0]
    assert info['gt_bboxes'] is None
    start, end = info['gt_span']
    assert info['clip'][0] <= start < end <= info['clip'][1] <= info['num_frames']
    assert ds.skipped_counts() == {}


def test_four_test_records_tubes():
    ds = DATASETS.build(
        dict(
            type='VidSTGDataset',
            ann_file=TEST4,
            data_prefix=dict(video='videos', vidor_anno=VIDOR)))
    raw = json.load(open(TEST4))
    vidor = json.load(open(osp.join(VIDOR, VID + '.json')))
    traj = vidor['trajectories']
    assert [ds[i]['qid'] for i in range(len(ds))] == [
        f'{VID}_0_120_d0', f'{VID}_0_120_i0', f'{VID}_179_871_d0', f'{VID}_179_871_i0',
        f'{VID}_0_871_d0', f'{VID}_0_871_i0', f'{VID}_0_871_d1', f'{VID}_0_871_i1'
    ]
    for i in range(len(ds)):
        info = ds[i]
        rec = raw[info['extra']['record_index']]
        query = rec['captions' if info['sentence_type'] == 'declarative' else 'questions'][0]
        begin, end = rec['temporal_gt']['begin_fid'], rec['temporal_gt']['end_fid']
        tid = query['target_id']
        assert info['gt_span'] == (begin, end)
        assert info['gt_bboxes'].shape == (end - begin, 4)  # END EXCLUSIVE, no extra frame
        assert info['gt_bboxes'].dtype == np.float32
        np.testing.assert_array_equal(info['gt_bboxes'][0], _raw_box(traj, begin, tid))
        np.testing.assert_array_equal(info['gt_bboxes'][-1], _raw_box(traj, end - 1, tid))
        mid = (begin + end) // 2
        np.testing.assert_array_equal(info['gt_bboxes'][mid - begin], _raw_box(traj, mid, tid))
        seg = rec['used_segment']
        assert info['clip'] == (seg['begin_fid'], min(seg['end_fid'] + 1, rec['frame_count']))
        assert info['filename'] == osp.join('videos', vidor['video_path'])
        assert info['video_name'] == VID
        assert info['sentence'] == query['description'].strip()
        assert info['extra']['target_id'] == tid
        assert info['extra']['type'] == query['type']
        assert info['extra']['category'] == {
            o['tid']: o['category']
            for o in rec['subject/objects']
        }[tid]
        assert (info['num_frames'], info['width'], info['height']) == (872, 640, 480)
        assert info['fps'] == pytest.approx(29.97)
    # the target trajectory continues past the span end: the tube must not
    first = ds[0]
    assert _raw_box(traj, first['gt_span'][1], first['extra']['target_id']) is not None


def test_nested_vidor_layout_and_single_read(tmp_path, monkeypatch):
    nested = tmp_path / 'vidor' / 'validation' / '0009'
    nested.mkdir(parents=True)
    shutil.copy(osp.join(VIDOR, VID + '.json'), nested / (VID + '.json'))
    reads = []
    orig = VidSTGDataset._read_video_boxes

    def counting_read(self, vid):
        reads.append(vid)
        return orig(self, vid)

    monkeypatch.setattr(VidSTGDataset, '_read_video_boxes', counting_read)
    ds = VidSTGDataset(TEST4, data_prefix=dict(vidor_anno=str(tmp_path / 'vidor')))
    assert reads == [VID]  # 4 records, 8 queries, one read
    flat = VidSTGDataset(TEST4, data_prefix=dict(vidor_anno=VIDOR))
    assert len(ds) == len(flat) == 8
    for i in range(len(ds)):
        np.testing.assert_array_equal(ds[i]['gt_bboxes'], flat[i]['gt_bboxes'])
    assert ds[0]['filename'] == '0009/11566930393.mp4'


def test_load_boxes_needs_vidor_prefix():
    with pytest.raises(ValueError, match='vidor_anno'):
        VidSTGDataset(TEST4)
    ds = VidSTGDataset(TEST4, load_boxes=False, data_prefix=dict(video='v'))
    assert ds[0]['filename'] == osp.join('v', VID + '.mp4')  # video_filename_tmpl


def test_serialized_queries_are_the_parsed_ones():
    """Issue 28: the data_info are serialised one at a time into one uint8 array (the
    memory of a few hundred MB for the train split is held once, and shared by the DataLoader
    workers); every query reads back as parsed."""
    kwargs = dict(ann_file=TEST4, data_prefix=dict(video='videos', vidor_anno=VIDOR))
    plain = VidSTGDataset(serialize_data=False, **kwargs)
    packed = VidSTGDataset(**kwargs)
    assert packed.serialize_data and packed.data_list == []
    assert packed.data_bytes.dtype == np.uint8 and packed.data_address.shape == (8, )
    assert packed.data_address[-1] == packed.data_bytes.size
    for i in range(len(plain)):
        a, b = plain.get_data_info(i), packed.get_data_info(i)
        np.testing.assert_array_equal(a.pop('gt_bboxes'), b.pop('gt_bboxes'))
        assert a == b
    sub = packed.get_subset([6, 1])
    assert [sub.get_data_info(i)['qid'] for i in range(2)] == \
        [plain.get_data_info(6)['qid'], plain.get_data_info(1)['qid']]
