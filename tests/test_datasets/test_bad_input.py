"""The bad-input policy of the STVG datasets (``BaseSTVGDataset``): every invalid annotation
raises an error naming the file and the record / qid, or (``skip_invalid=True``) is skipped,
counted per reason and logged; pipeline failures name the video file and the qid."""
import copy
import json
import logging
import os.path as osp
import uuid

import numpy as np
import pytest
from mmengine.logging import MMLogger

import mmstvg  # noqa: F401  (compat shims, before mmaction is imported)
from mmstvg.datasets import HCSTVGDataset, SynthSTVGDataset, VidSTGDataset
from mmstvg.datasets.base_stvg_dataset import (EmptyDatasetError, InvalidAnnotationError,
                                               STVGPipelineError)
from mmstvg.testing import dump_json, hcstvg_v1_record, write_test_video

DATA = osp.join(osp.dirname(osp.dirname(__file__)), 'data', 'vidstg')
TEST4 = osp.join(DATA, 'test_annotations_11566930393.json')
VIDOR = osp.join(DATA, 'vidor')
VID = '11566930393'

GOOD = {
    'good.mp4': {
        'bbox': [[10, 20, 30, 40]],
        'st_frame': 1,
        'img_num': 100,
        'caption': 'A man walks.',
        'width': 640,
        'height': 360
    },
}


@pytest.fixture
def log_messages():
    """Messages logged through the current MMLogger during the test."""
    logger = MMLogger.get_instance(f'test_bad_input_{uuid.uuid4().hex}', log_level='INFO')
    messages = []

    class _Collect(logging.Handler):

        def emit(self, record):
            messages.append(record.getMessage())

    handler = _Collect(level=logging.INFO)
    logger.addHandler(handler)
    yield messages
    logger.removeHandler(handler)


# (name, record, reason, words the message must contain)
HCSTVG_CASES = [
    ('missing_key', hcstvg_v1_record(bbox=None), 'malformed', 'bbox'),
    ('wrong_type', hcstvg_v1_record(st_frame='5'), 'malformed', 'st_frame'),
    ('bad_box', hcstvg_v1_record(bbox=[[1, 2, 3]]), 'malformed', 'bbox[0]'),
    ('empty_bbox', hcstvg_v1_record(bbox=[]), 'malformed', 'empty'),
    ('span_past_video', hcstvg_v1_record(st_frame=100), 'malformed', 'ends after'),
    ('empty_sentence', hcstvg_v1_record(caption='   '), 'empty_sentence', 'empty sentence'),
    ('outside', hcstvg_v1_record(bbox=[[10, 20, 30, 40], [700, 20, 30, 40]]), 'box_outside_frame',
     'frame 5'),
    ('degenerate', hcstvg_v1_record(bbox=[[10, 20, 0, 40], [12, 22, 30, 40]]), 'degenerate_box',
     'degenerate'),
]


@pytest.mark.parametrize(
    'name,record,reason,words', HCSTVG_CASES, ids=[c[0] for c in HCSTVG_CASES])
def test_hcstvg_invalid_record(tmp_path, log_messages, name, record, reason, words):
    qid = f'{name}.mp4'
    ann = dump_json(tmp_path / 'train.json', {**GOOD, qid: record})
    with pytest.raises(InvalidAnnotationError) as err:
        HCSTVGDataset(ann)
    assert isinstance(err.value, ValueError)
    assert err.value.reason == reason
    for word in (ann, qid, words):
        assert word in str(err.value)

    ds = HCSTVGDataset(ann, skip_invalid=True)
    assert len(ds) == 1 and ds[0]['qid'] == 'good.mp4'
    assert ds.skipped == {reason: [qid]}
    assert ds.skipped_counts() == {reason: 1}
    warnings = [m for m in log_messages if 'skipped 1 invalid' in m]
    assert len(warnings) == 1 and f'{reason}: 1' in warnings[0] and ann in warnings[0]


def test_hcstvg_v2_count_mismatch(tmp_path):
    rec = {
        'bbox': [[10, 20, 30, 40]] * 3,
        'st_frame': 5,
        'ed_frame': 8,
        'img_num': 100,
        'English': 'A man sits.',
        'img_size': [360, 640, 3]
    }
    ann = dump_json(tmp_path / 'val_v2.json', {'bad.mp4': rec})
    with pytest.raises(ValueError, match=r'val_v2.json.*bad.mp4.*3 boxes.*ed_frame=8'):
        HCSTVGDataset(ann)
    # its only query skipped: nothing is left, which is an error naming the file
    with pytest.raises(EmptyDatasetError, match=rf'no valid query left in {ann}') as err:
        HCSTVGDataset(ann, skip_invalid=True)
    assert err.value.skipped == {'malformed': ['bad.mp4']}


def test_hcstvg_not_a_dict(tmp_path):
    ann = dump_json(tmp_path / 'bad.json', [1, 2])
    with pytest.raises(ValueError, match='bad.json'):
        HCSTVGDataset(ann, skip_invalid=True)


def test_partially_outside_boxes_are_clipped_and_logged(tmp_path, log_messages):
    rec = hcstvg_v1_record(bbox=[[-5, 20, 30, 40], [630, 350, 20, 20]])
    ann = dump_json(tmp_path / 'train.json', {'clip.mp4': rec})
    ds = HCSTVGDataset(ann)
    np.testing.assert_array_equal(ds[0]['gt_bboxes'], [[0, 20, 25, 60], [630, 350, 640, 360]])
    assert ds.num_clipped_boxes == 2 and ds.skipped_counts() == {}
    assert any('clipped 2 GT boxes' in m and ann in m for m in log_messages)


def test_check_video_exists(tmp_path):
    videos = tmp_path / 'videos'
    videos.mkdir()
    (videos / 'good.mp4').write_bytes(b'x')
    ann = dump_json(tmp_path / 'train.json', {**GOOD, 'gone.mp4': hcstvg_v1_record()})
    assert len(HCSTVGDataset(ann, data_prefix=dict(video=str(videos)))) == 2
    with pytest.raises(ValueError, match=r'gone\.mp4.*does not exist') as err:
        HCSTVGDataset(ann, data_prefix=dict(video=str(videos)), check_video_exists=True)
    assert str(videos / 'gone.mp4') in str(err.value) and err.value.reason == 'missing_video'
    ds = HCSTVGDataset(
        ann, data_prefix=dict(video=str(videos)), check_video_exists=True, skip_invalid=True)
    assert len(ds) == 1 and ds.skipped == {'missing_video': ['gone.mp4']}


# --------------------------------------------------------------------- whole-file problems
def _v2_synth(sentence):
    return {
        'bbox': [[10, 20, 30, 40]] * 2,
        'st_frame': 3,
        'ed_frame': 4,
        'img_num': 64,
        'English': sentence,
        'img_size': [64, 64, 3],
        'fps': 16.0
    }


@pytest.mark.parametrize(
    'dataset_type,record', [(HCSTVGDataset, hcstvg_v1_record()),
                            (SynthSTVGDataset, _v2_synth('A man.'))],
    ids=['hcstvg', 'synthetic'])
def test_duplicate_video_key_is_refused(tmp_path, dataset_type, record):
    """A dict-layout file naming a video twice: json would keep the last record silently."""
    other = dict(record, bbox=[[1, 2, 3, 4]] * 2)
    text = ('{\n"dup.mp4": ' + json.dumps(record) + ',\n"good.mp4": ' + json.dumps(record) +
            ',\n"dup.mp4": ' + json.dumps(other) + '\n}')
    ann = str(tmp_path / 'train.json')
    with open(ann, 'w') as f:
        f.write(text)
    for skip in (False, True):  # a file-level error: skip_invalid does not hide it
        with pytest.raises(InvalidAnnotationError) as err:
            dataset_type(ann, skip_invalid=skip)
        msg = str(err.value)
        assert ann in msg and "duplicate key(s)" in msg and "'dup.mp4' (lines 2, 4)" in msg


@pytest.mark.parametrize('cut', [0, 40, -1])
def test_truncated_annotation_file_names_the_file(tmp_path, cut):
    text = json.dumps({**GOOD, 'b.mp4': hcstvg_v1_record()}, indent=1)
    ann = str(tmp_path / 'train.json')
    with open(ann, 'w') as f:
        f.write(text[:cut])
    with pytest.raises(InvalidAnnotationError) as err:
        HCSTVGDataset(ann)
    msg = str(err.value)
    assert msg.startswith(f'HCSTVGDataset: {ann}: invalid JSON at line ')
    assert ('the file is empty' if cut == 0 else 'truncated') in msg
    assert isinstance(err.value.__cause__, ValueError)


@pytest.mark.parametrize(
    'dataset_type,content', [(HCSTVGDataset, {}), (VidSTGDataset, [])], ids=['hcstvg', 'vidstg'])
def test_empty_split_is_an_error(tmp_path, dataset_type, content):
    ann = dump_json(tmp_path / 'test.json', content)
    with pytest.raises(EmptyDatasetError) as err:
        dataset_type(ann, data_prefix=dict(vidor_anno=VIDOR), skip_invalid=True)
    assert str(err.value).endswith(f'no valid query left in {ann}: the file holds no query')
    assert isinstance(err.value, InvalidAnnotationError) and err.value.skipped == {}


def test_every_query_skipped_is_an_error(tmp_path, log_messages):
    ann = dump_json(tmp_path / 'test.json', {
        'a.mp4': hcstvg_v1_record(caption=' '),
        'b.mp4': hcstvg_v1_record(bbox=[])
    })
    with pytest.raises(EmptyDatasetError) as err:
        HCSTVGDataset(ann, skip_invalid=True)
    assert f'no valid query left in {ann}: all 2 queries were skipped' in str(err.value)
    assert err.value.ann_file == ann
    assert err.value.skipped == {'empty_sentence': ['a.mp4'], 'malformed': ['b.mp4']}
    assert [d['qids'] for d in err.value.skipped_details] == [['a.mp4'], ['b.mp4']]
    assert any('skipped 2 invalid' in m for m in log_messages)  # still logged


def test_metainfo_names_the_annotation_file(tmp_path):
    ann = dump_json(tmp_path / 'train.json', GOOD)
    assert HCSTVGDataset(ann).metainfo['ann_file'] == ann


# ---------------------------------------------------------------------------------- VidSTG
def _vidstg(tmp_path, edit) -> str:
    records = json.load(open(TEST4))
    edit(records)
    return dump_json(tmp_path / 'test_annotations.json', records)


def _gt(records, i, begin, end):
    records[i]['temporal_gt'] = dict(begin_fid=begin, end_fid=end)


VIDSTG_CASES = [
    # tid 1 has boxes in frames 0..453 only: [440, 460) lacks 454..459
    ('target_without_box', lambda r: _gt(r, 2, 440, 460), 'malformed',
     [f'{VID}_0_871_d0', f'{VID}_0_871_i0'], 'frame(s) of the GT span'),
    ('missing_key', lambda r: r[1].pop('temporal_gt'), 'malformed',
     [f'{VID}_179_871_d0', f'{VID}_179_871_i0'], 'temporal_gt'),
    ('wrong_type', lambda r: r[1]['used_segment'].update(end_fid='871'), 'malformed',
     ['#1 (vid 11566930393) captions[0]',
      '#1 (vid 11566930393) questions[0]'], 'used_segment.end_fid'),
    ('span_outside_clip', lambda r: _gt(r, 0, 79, 200), 'malformed',
     [f'{VID}_0_120_d0', f'{VID}_0_120_i0'], 'not inside the clip'),
    ('empty_question', lambda r: r[3]['questions'][0].update(description=' '), 'empty_sentence',
     [f'{VID}_0_871_i1'], 'empty sentence'),
    ('unknown_target', lambda r: r[3]['captions'][0].update(target_id=9), 'malformed',
     [f'{VID}_0_871_d1'], 'target_id 9'),
    ('missing_box_file', lambda r: r[0].update(vid='404'), 'missing_box_file',
     ['404_0_120_d0', '404_0_120_i0'], '404.json'),
]


@pytest.mark.parametrize(
    'name,edit,reason,qids,words', VIDSTG_CASES, ids=[c[0] for c in VIDSTG_CASES])
def test_vidstg_invalid_record(tmp_path, log_messages, name, edit, reason, qids, words):
    ann = _vidstg(tmp_path, edit)
    prefix = dict(vidor_anno=VIDOR)
    with pytest.raises(ValueError) as err:
        VidSTGDataset(ann, data_prefix=prefix)
    assert err.value.reason == reason
    for word in (ann, qids[0], words):
        assert word in str(err.value)

    ds = VidSTGDataset(ann, data_prefix=prefix, skip_invalid=True)
    assert ds.skipped == {reason: qids}
    assert len(ds) == 8 - len(qids)
    assert not set(qids) & {ds[i]['qid'] for i in range(len(ds))}
    assert any(f'{reason}: {len(qids)}' in m for m in log_messages)


def test_vidstg_qids_stable_when_a_record_is_skipped(tmp_path):
    ann = _vidstg(tmp_path, lambda r: _gt(r, 2, 440, 460))
    ds = VidSTGDataset(ann, data_prefix=dict(vidor_anno=VIDOR), skip_invalid=True)
    # record 3 keeps k = 1 although record 2 (same segment, k = 0) was skipped
    assert [ds[i]['qid'] for i in range(4, 6)] == [f'{VID}_0_871_d1', f'{VID}_0_871_i1']


def test_vidstg_not_a_list(tmp_path):
    ann = dump_json(tmp_path / 'bad.json', {'vid': VID})
    with pytest.raises(ValueError, match='bad.json'):
        VidSTGDataset(ann, load_boxes=False)


def test_vidstg_corrupt_box_file(tmp_path):
    vidor = tmp_path / 'vidor'
    vidor.mkdir()
    data = json.load(open(osp.join(VIDOR, VID + '.json')))
    data['trajectories'][100][0].pop('bbox')
    dump_json(vidor / f'{VID}.json', data)
    with pytest.raises(ValueError, match=rf'{VID}\.json.*lacks') as err:
        VidSTGDataset(TEST4, data_prefix=dict(vidor_anno=str(vidor)))
    assert TEST4 in str(err.value)
    with pytest.raises(EmptyDatasetError, match=rf'no valid query left in {TEST4}') as err:
        VidSTGDataset(TEST4, data_prefix=dict(vidor_anno=str(vidor)), skip_invalid=True)
    assert len(err.value.skipped['malformed']) == 8
    assert len(
        err.value.skipped_details) == 4 and 'lacks' in err.value.skipped_details[0]['message']


# ------------------------------------------------------------------------------ run time
@pytest.fixture
def video_dataset_args(tmp_path):
    """An HC-STVG file of 3 queries: a corrupt, a missing and a valid video."""
    from mmaction.datasets.transforms import PyAVInit
    videos = tmp_path / 'videos'
    videos.mkdir()
    (videos / 'corrupt.mp4').write_bytes(b'not a video' * 10)
    write_test_video(str(videos / 'valid.mp4'), num_frames=4, size=(32, 32))
    ann = dump_json(
        tmp_path / 'train.json',
        {name: hcstvg_v1_record()
         for name in ('corrupt.mp4', 'missing.mp4', 'valid.mp4')})
    return dict(ann_file=ann, data_prefix=dict(video=str(videos)), pipeline=[PyAVInit()]), videos


@pytest.mark.parametrize('index,name', [(0, 'corrupt.mp4'), (1, 'missing.mp4')])
def test_pipeline_failure_names_video_and_qid(video_dataset_args, index, name):
    args, videos = video_dataset_args
    ds = HCSTVGDataset(**args)
    with pytest.raises(STVGPipelineError) as err:
        ds[index]
    assert str(videos / name) in str(err.value) and repr(name) in str(err.value)
    assert args['ann_file'] in str(err.value)
    assert err.value.__cause__ is not None
    assert ds[2]['video_reader'] is not None  # a valid video passes


def test_pipeline_failure_skipped_in_training(video_dataset_args, log_messages):
    args, videos = video_dataset_args
    ds = HCSTVGDataset(skip_invalid=True, **args)
    assert ds.prepare_data(0) is None
    assert ds.skipped == {'pipeline_error': ['corrupt.mp4']}
    assert any(str(videos / 'corrupt.mp4') in m and 'skipped' in m for m in log_messages)
    np.random.seed(0)
    out = ds[1]  # missing: BaseDataset draws other indices until the valid one
    assert out['qid'] == 'valid.mp4'
    assert 'missing.mp4' in ds.skipped['pipeline_error']


def test_pipeline_failure_always_raises_in_test_mode(video_dataset_args):
    args, videos = video_dataset_args
    ds = HCSTVGDataset(skip_invalid=True, test_mode=True, **copy.copy(args))
    with pytest.raises(STVGPipelineError, match='corrupt.mp4'):
        ds[0]
    assert ds.skipped_counts() == {}
