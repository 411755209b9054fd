"""The disk cache of parsed VidOR box files (issue 28): written on the first build, read on
the next ones (the same tubes, no JSON parsed), refreshed when the box file changes, ignored
when damaged, off with ``box_cache_dir=False``; only valid box files are cached."""
import glob
import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest

from mmstvg.datasets import VidSTGAnnotation, VidSTGDataset
from mmstvg.datasets import vidstg_annotation as vidstg_module
from mmstvg.datasets.vidor_box_cache import VidORBoxCache, default_cache_dir

DATA = osp.join(osp.dirname(osp.dirname(__file__)), 'data', 'vidstg')
TEST4 = osp.join(DATA, 'test_annotations_11566930393.json')
VID = '11566930393'


@pytest.fixture
def vidor(tmp_path):
    folder = tmp_path / 'vidor'
    folder.mkdir()
    shutil.copy(osp.join(DATA, 'vidor', VID + '.json'), folder / (VID + '.json'))
    return str(folder)


def _build(vidor, cache, cls=VidSTGAnnotation, **kwargs):
    return cls(TEST4, data_prefix=dict(video='', vidor_anno=vidor), box_cache_dir=cache, **kwargs)


def _tubes(ds):
    return [ds.get_data_info(i)['gt_bboxes'] for i in range(len(ds))]


def test_second_build_reads_the_cache(vidor, tmp_path, monkeypatch):
    cache = str(tmp_path / 'cache')
    first = _build(vidor, cache)
    assert len(glob.glob(osp.join(cache, '*.npz'))) == 1
    parsed = []
    real = vidstg_module.load_json
    monkeypatch.setattr(vidstg_module, 'load_json', lambda p: parsed.append(p) or real(p))
    second = _build(vidor, cache, cls=VidSTGDataset)
    assert parsed == []  # the box file was not parsed again
    for a, b in zip(_tubes(first), _tubes(second)):
        assert a.dtype == b.dtype == np.float32
        np.testing.assert_array_equal(a, b)
    assert second[0]['filename'] == '0009/11566930393.mp4'  # video_path from the cache


def test_a_changed_box_file_is_parsed_again(vidor, tmp_path):
    cache = str(tmp_path / 'cache')
    before = _tubes(_build(vidor, cache))
    path = osp.join(vidor, VID + '.json')
    data = json.load(open(path))
    for frame in data['trajectories']:
        for obj in frame:
            obj['bbox']['xmin'] += 1
    with open(path, 'w') as f:
        json.dump(data, f)
    os.utime(path, ns=(1, 1))
    after = _tubes(_build(vidor, cache))
    np.testing.assert_array_equal(after[0][:, 0], before[0][:, 0] + 1)
    assert len(glob.glob(osp.join(cache, '*.npz'))) == 2  # one entry per version


def test_a_damaged_cache_file_is_ignored_and_rewritten(vidor, tmp_path):
    cache = str(tmp_path / 'cache')
    expected = _tubes(_build(vidor, cache))
    entry, = glob.glob(osp.join(cache, '*.npz'))
    with open(entry, 'wb') as f:
        f.write(b'not a zip file')
    for a, b in zip(_tubes(_build(vidor, cache)), expected):
        np.testing.assert_array_equal(a, b)
    assert VidORBoxCache(cache).load(osp.join(vidor, VID + '.json')) is not None


def test_cache_off_and_invalid_box_files_are_not_cached(vidor, tmp_path):
    cache = str(tmp_path / 'cache')
    _build(vidor, False)
    assert not osp.exists(cache)
    path = osp.join(vidor, VID + '.json')
    data = json.load(open(path))
    data['trajectories'][0][0]['bbox']['xmin'] = 'left'
    with open(path, 'w') as f:
        json.dump(data, f)
    with pytest.raises(ValueError, match='non-numeric tid or bbox coordinate'):
        _build(vidor, cache)
    assert glob.glob(osp.join(cache, '*.npz')) == []
    with pytest.raises(TypeError, match='box_cache_dir'):
        _build(vidor, 3)


def test_unwritable_cache_folder_is_left_alone(vidor, tmp_path):
    blocker = tmp_path / 'file'
    blocker.write_text('')
    ds = _build(vidor, str(blocker / 'cache'))  # a folder that cannot be made
    assert len(ds) == 8


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv('MMSTVG_CACHE_DIR', str(tmp_path))
    assert default_cache_dir() == osp.join(str(tmp_path), 'vidor_boxes')
    monkeypatch.delenv('MMSTVG_CACHE_DIR')
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'xdg'))
    assert default_cache_dir() == osp.join(str(tmp_path / 'xdg'), 'mmstvg', 'vidor_boxes')
