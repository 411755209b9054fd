import h5py
import numpy as np
import pytest

from mmstvg.datasets.transforms import LoadSTVGFeatures

FEATS = np.arange(20 * 6, dtype=np.float64).reshape(20, 6)


def _results(path, inds=(0, 3, 3, 19)):
    return dict(
        qid='q1', video_name='vid', feature_path=str(path), frame_inds=np.asarray(inds, np.int64))


def test_npy(tmp_path):
    np.save(tmp_path / 'vid.npy', FEATS)
    out = LoadSTVGFeatures()(_results(tmp_path / 'vid.npy'))
    assert out['features'].dtype == np.float32 and out['features'].shape == (4, 6)
    np.testing.assert_array_equal(out['features'], FEATS[[0, 3, 3, 19]])
    # frame_stride: row r holds frame r * 4
    out = LoadSTVGFeatures(
        frame_stride=4, mmap=False)(
            _results(tmp_path / 'vid.npy', inds=(0, 5, 79)))
    np.testing.assert_array_equal(out['features'], FEATS[[0, 1, 19]])


@pytest.mark.parametrize('key,ext', [('features', '.h5'), ('{video_name}', '.hdf5')])
def test_h5(tmp_path, key, ext):
    path = tmp_path / f'vid{ext}'
    with h5py.File(path, 'w') as f:
        f.create_dataset(key.format(video_name='vid'), data=FEATS)
    out = LoadSTVGFeatures(h5_key=key)(_results(path, inds=(7, 2, 2, 19)))
    np.testing.assert_array_equal(out['features'], FEATS[[7, 2, 2, 19]])
    with pytest.raises(KeyError, match='nope'):
        LoadSTVGFeatures(h5_key='nope')(_results(path))


def test_errors_name_the_file(tmp_path):
    np.save(tmp_path / 'vid.npy', FEATS)
    with pytest.raises(IndexError, match=r'vid\.npy.*20 rows'):
        LoadSTVGFeatures()(_results(tmp_path / 'vid.npy', inds=(0, 20)))
    with pytest.raises(FileNotFoundError, match=r'missing\.npy'):
        LoadSTVGFeatures()(_results(tmp_path / 'missing.npy'))
    with pytest.raises(KeyError, match='q1'):
        LoadSTVGFeatures()(dict(qid='q1', feature_path=None, frame_inds=np.zeros(1, int)))
    (tmp_path / 'vid.pt').write_bytes(b'x')
    with pytest.raises(ValueError, match='unsupported'):
        LoadSTVGFeatures()(_results(tmp_path / 'vid.pt'))
    assert 'frame_stride=1' in repr(LoadSTVGFeatures())


def test_channel_count_checked_at_load_time(tmp_path):
    """1024-channel (Inception I3D) maps in a config made for 2048-channel (ResNet-50 I3D)
    maps fail when the file is read, naming it and the query."""
    maps = np.zeros((5, 2, 2, 1024), np.float16)
    np.save(tmp_path / 'vid.npy', maps)
    with h5py.File(tmp_path / 'all.h5', 'w') as f:
        f.create_dataset('vid', data=maps)
    for path, kwargs in ((tmp_path / 'vid.npy', {}), (tmp_path / 'all.h5',
                                                      dict(h5_key='{video_name}'))):
        with pytest.raises(ValueError, match=rf"{path.name}.*'q1'.*1024 channels.*2048"):
            LoadSTVGFeatures(channels=2048, **kwargs)(_results(path, inds=(0, 4)))
        out = LoadSTVGFeatures(channels=1024, **kwargs)(_results(path, inds=(0, 4)))
        assert out['features'].shape == (2, 2, 2, 1024)
    assert 'channels=2048' in repr(LoadSTVGFeatures(channels=2048))
