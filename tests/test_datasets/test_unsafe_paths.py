"""Annotation files cannot make mmstvg read outside the data root: a video name (or VidOR
``video_path``, or a VidSTG ``vid`` naming a box file) that is absolute, a URL or has a ``..``
segment is refused, naming the qid and the path, in every dataset, in check_dataset and for
the feature files; a symbolic link inside the data root is still followed."""
import json
import os
import os.path as osp

import numpy as np
import pytest

import mmstvg  # noqa: F401  (compat shims, before mmaction is imported)
from mmstvg.datasets import HCSTVGDataset, SynthSTVGDataset, VidSTGDataset
from mmstvg.datasets.base_stvg_dataset import EmptyDatasetError, InvalidAnnotationError
from mmstvg.datasets.dataset_check import check_dataset
from mmstvg.testing import dump_json, hcstvg_v1_record
from mmstvg.utils.path_guard import UnsafePathError, join_under_root, unsafe_path_reason

DATA = osp.join(osp.dirname(osp.dirname(__file__)), 'data', 'vidstg')
TEST4 = osp.join(DATA, 'test_annotations_11566930393.json')
VIDOR = osp.join(DATA, 'vidor')
VID = '11566930393'

ESCAPES = [
    '../../../../elsewhere/secret.mp4', 'a/../../secret.mp4', '..', '/etc/passwd',
    '//server/share/v.mp4', '\\\\server\\share\\v.mp4', '..\\..\\secret.mp4', 'C:\\secret.mp4',
    'c:secret.mp4', 'http://example.com/v.mp4', 'file:///etc/passwd', 's3://bucket/v.mp4', '',
    'v\x00.mp4'
]
SAFE = ['v.mp4', 'folder/v.mp4', './v.mp4', 'a..b.mp4', '...mp4', 'x/..y/v.mp4', 'a:b/c']


@pytest.mark.parametrize('name', ESCAPES)
def test_escaping_names_are_refused(name):
    assert unsafe_path_reason(name) is not None
    with pytest.raises(UnsafePathError, match='refused'):
        join_under_root('/data/videos', name, 'video name')


@pytest.mark.parametrize('name', SAFE[:-1])
def test_relative_names_are_joined(name):
    assert unsafe_path_reason(name) is None
    assert join_under_root('/data/videos', name) == osp.join('/data/videos', name)
    assert join_under_root('', name) == name


def _outside_layout(tmp_path):
    """data/videos/good.mp4, and a 'secret' outside the data root."""
    root = tmp_path / 'data'
    (root / 'videos').mkdir(parents=True)
    (root / 'videos' / 'good.mp4').write_bytes(b'video')
    (tmp_path / 'elsewhere').mkdir()
    (tmp_path / 'elsewhere' / 'secret.mp4').write_bytes(b'secret')
    return root


@pytest.mark.parametrize('name', ['../../elsewhere/secret.mp4', 'ABSOLUTE'])
@pytest.mark.parametrize('dataset_type', [HCSTVGDataset, SynthSTVGDataset])
def test_hcstvg_layout_refuses_paths_outside_the_root(tmp_path, name, dataset_type):
    root = _outside_layout(tmp_path)
    if name == 'ABSOLUTE':
        name = str(tmp_path / 'elsewhere' / 'secret.mp4')
    record = hcstvg_v1_record()
    if dataset_type is SynthSTVGDataset:  # v2 layout with its fps
        record = dict(
            bbox=record['bbox'],
            st_frame=record['st_frame'],
            ed_frame=record['st_frame'] + len(record['bbox']) - 1,
            img_num=record['img_num'],
            English=record['caption'],
            img_size=[record['height'], record['width'], 3],
            fps=16)
    ann = dump_json(root / 'train.json', {'good.mp4': record, name: record})
    kwargs = dict(data_root=str(root), data_prefix=dict(video='videos'))
    with pytest.raises(InvalidAnnotationError) as err:
        dataset_type(ann, **kwargs)
    assert err.value.reason == 'unsafe_path'
    assert name in str(err.value) and ann in str(err.value)  # the qid, the file
    ds = dataset_type(ann, skip_invalid=True, **kwargs)
    assert ds.skipped == {'unsafe_path': [name]}
    assert [ds.get_data_info(i)['qid'] for i in range(len(ds))] == ['good.mp4']

    # check_dataset reports it and opens no file outside the root
    report = check_dataset(ds, check_media=True)
    unsafe = [p for p in report['problems'] if p['reason'] == 'unsafe_path']
    assert [p['qid'] for p in unsafe] == [name]
    assert all('secret' not in str(p.get('file')) or p['reason'] == 'unsafe_path'
               for p in report['problems'])


def test_feature_files_stay_under_the_feature_root(tmp_path):
    root = _outside_layout(tmp_path)
    np.save(tmp_path / 'elsewhere' / 'secret.npy', np.zeros((300, 4), np.float32))
    (root / 'features').mkdir()
    np.save(root / 'features' / 'good.npy', np.zeros((300, 4), np.float32))
    name = '../../elsewhere/secret.mp4'
    ann = dump_json(root / 'train.json', {
        'good.mp4': hcstvg_v1_record(),
        name: hcstvg_v1_record()
    })
    # the video folder is the root itself: only the feature path would escape
    prefix = dict(video='', feature='features')
    with pytest.raises(InvalidAnnotationError, match='unsafe_path') as err:
        HCSTVGDataset(ann, data_root=str(root), data_prefix=prefix)
    assert 'feature file' in str(err.value) or 'video name' in str(err.value)
    ds = HCSTVGDataset(ann, data_root=str(root), data_prefix=prefix, skip_invalid=True)
    assert [ds.get_data_info(i)['feature_path'] for i in range(len(ds))] == \
        [osp.join(str(root), 'features', 'good.npy')]
    report = check_dataset(ds, check_media=True)
    assert report['counts'] == {'unsafe_path': 1}


def test_symlink_inside_the_root_is_allowed(tmp_path):
    root = _outside_layout(tmp_path)
    os.symlink(tmp_path / 'elsewhere', root / 'videos' / 'linked')
    ann = dump_json(root / 'train.json', {'linked/secret.mp4': hcstvg_v1_record()})
    ds = HCSTVGDataset(ann, data_root=str(root), data_prefix=dict(video='videos'))
    path = ds.get_data_info(0)['filename']
    assert open(path, 'rb').read() == b'secret'


def _vidstg_records(edit):
    records = json.load(open(TEST4))
    edit(records)
    return records


def test_vidstg_vid_naming_a_box_file_outside_the_root(tmp_path):
    ann = dump_json(tmp_path / 'test.json',
                    _vidstg_records(lambda r: r[0].update(vid='../../elsewhere/x')))
    with pytest.raises(InvalidAnnotationError) as err:
        VidSTGDataset(ann, data_prefix=dict(vidor_anno=VIDOR))
    assert err.value.reason == 'unsafe_path'
    assert '../../elsewhere/x_0_120_d0' in str(err.value)  # the qids of the record
    ds = VidSTGDataset(ann, data_prefix=dict(vidor_anno=VIDOR), skip_invalid=True)
    assert ds.skipped == {
        'unsafe_path': ['../../elsewhere/x_0_120_d0', '../../elsewhere/x_0_120_i0']
    }
    assert len(ds) == 6
    # without box files the video path is built from `vid`: refused as well
    ds = VidSTGDataset(ann, load_boxes=False, skip_invalid=True)
    assert len(ds.skipped['unsafe_path']) == 2


@pytest.mark.parametrize('video_path', ['../../../elsewhere/secret.mp4', '/elsewhere/secret.mp4'])
def test_vidor_video_path_outside_the_root(tmp_path, video_path):
    vidor = tmp_path / 'vidor'
    vidor.mkdir()
    data = json.load(open(osp.join(VIDOR, VID + '.json')))
    data['video_path'] = video_path
    dump_json(vidor / f'{VID}.json', data)
    prefix = dict(vidor_anno=str(vidor), video=str(tmp_path / 'videos'))
    with pytest.raises(InvalidAnnotationError, match='unsafe_path') as err:
        VidSTGDataset(TEST4, data_prefix=prefix)
    assert video_path in str(err.value) and f'{VID}_0_120_d0' in str(err.value)
    with pytest.raises(EmptyDatasetError) as err:  # every record uses that video
        VidSTGDataset(TEST4, data_prefix=prefix, skip_invalid=True)
    assert len(err.value.skipped['unsafe_path']) == 8
