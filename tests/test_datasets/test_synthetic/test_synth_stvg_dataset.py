"""``SynthSTVGDataset`` on a tiny generated benchmark."""
import json
import os.path as osp

import numpy as np
import pytest
from synthetic_test_helpers import TINY

from mmstvg.datasets import HCSTVGDataset, SynthSTVGDataset
from mmstvg.registry import DATASETS


def _dataset(root, ann_file, **kwargs):
    return SynthSTVGDataset(
        ann_file=ann_file, data_root=root, data_prefix=dict(video='videos'), **kwargs)


@pytest.mark.parametrize('split', ['train', 'val', 'test'])
def test_loads_generated_annotations(tiny_synth, split):
    ann_file = f'anno_v2/{split}_v2.json'
    with open(osp.join(tiny_synth, ann_file)) as f:
        raw = json.load(f)
    ds = _dataset(tiny_synth, ann_file, check_video_exists=True)
    assert len(ds) == TINY[f'num_{split}'] == len(raw)
    assert not ds.skipped
    for i, (name, rec) in enumerate(raw.items()):
        info = ds.get_data_info(i)
        assert info['qid'] == info['video_name'] == name
        assert info['filename'] == osp.join(tiny_synth, 'videos', name)
        assert info['sentence'] == rec['English']
        assert info['sentence_type'] is None
        assert info['num_frames'] == TINY['num_frames']
        assert info['fps'] == TINY['fps']  # the record's fps, not img_num / 20
        assert info['height'] == info['width'] == TINY['size']
        assert info['clip'] == (0, TINY['num_frames'])
        # 0-based, half-open span; xyxy boxes
        start, end = info['gt_span']
        assert (start, end) == (rec['st_frame'] - 1, rec['ed_frame'])
        assert 0 <= start < end <= info['num_frames']
        boxes = info['gt_bboxes']
        assert boxes.dtype == np.float32 and boxes.shape == (end - start, 4)
        xywh = np.asarray(rec['bbox'], dtype=np.float32)
        assert np.array_equal(boxes[:, :2], xywh[:, :2])
        assert np.array_equal(boxes[:, 2:], xywh[:, :2] + xywh[:, 2:])
        assert info['extra']['action'] == rec['action']
        assert info['extra']['target'] == rec['target']
        assert 'fps' not in info['extra']


def test_reads_like_hcstvg_v2(tiny_synth):
    """HCSTVGDataset believes a record's `fps` too, so both readers agree on everything."""
    kwargs = dict(
        ann_file='anno_v2/val_v2.json', data_root=tiny_synth, data_prefix=dict(video='videos'))
    synth, hc = SynthSTVGDataset(**kwargs), HCSTVGDataset(**kwargs)
    assert len(synth) == len(hc)
    for i in range(len(synth)):
        a, b = synth.get_data_info(i), hc.get_data_info(i)
        assert a['fps'] == b['fps'] == TINY['fps']
        assert a['gt_span'] == b['gt_span']
        assert np.array_equal(a['gt_bboxes'], b['gt_bboxes'])


def test_query_only_file(tiny_synth):
    ds = _dataset(tiny_synth, 'anno_v2/query_v2.json', fps=TINY['fps'], test_mode=True)
    assert len(ds) == TINY['num_test']
    info = ds.get_data_info(0)
    assert info['gt_span'] is None and info['gt_bboxes'] is None
    assert info['fps'] == TINY['fps'] and isinstance(info['sentence'], str)
    assert _dataset(tiny_synth, 'anno_v2/query_v2.json').get_data_info(0)['fps'] is None


def test_build_from_registry_and_fixed_layout(tiny_synth):
    ds = DATASETS.build(
        dict(
            type='SynthSTVGDataset',
            data_root=tiny_synth,
            ann_file='anno_v2/train_v2.json',
            data_prefix=dict(video='videos')))
    assert isinstance(ds, SynthSTVGDataset) and ds.layout == 'v2'
    assert ds.metainfo['dataset_name'] == 'synth_stvg'
    with pytest.raises(TypeError):
        _dataset(tiny_synth, 'anno_v2/train_v2.json', version='v1')
    with pytest.raises(ValueError):
        _dataset(tiny_synth, 'anno_v2/train_v2.json', fps=0)


def test_missing_fps_is_an_error(tiny_synth, tmp_path):
    with open(osp.join(tiny_synth, 'anno_v2/val_v2.json')) as f:
        raw = json.load(f)
    for rec in raw.values():
        del rec['fps']
    ann = tmp_path / 'no_fps.json'
    ann.write_text(json.dumps(raw))
    with pytest.raises(ValueError, match='fps'):
        SynthSTVGDataset(ann_file=str(ann))
    ds = SynthSTVGDataset(ann_file=str(ann), fps=12.5)
    assert all(ds.get_data_info(i)['fps'] == 12.5 for i in range(len(ds)))
