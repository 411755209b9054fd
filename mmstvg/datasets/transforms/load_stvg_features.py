"""Load precomputed per-frame features of the sampled frames (feature-based models, e.g. GKCMN).

One file per video (``feature_path``, see ``docs/data_flow.md``): ``.npy`` holding an array
(num_rows, D) (or (num_rows, ...)), or ``.h5``/``.hdf5`` holding such a dataset under a
configurable key. Row ``r`` holds the feature of original frame ``r * frame_stride`` (per-frame
features: ``frame_stride=1``), so frame ``i`` reads row ``i // frame_stride``. Only the needed
rows are read (``np.load(mmap_mode='r')``; h5py reads a sorted unique row selection).

``channels`` (the configs derive it from their feature extractor config,
``configs/_base_/feature_extractors/``) is checked against every file's last axis, so that
features of another backbone (e.g. 1024-channel Inception I3D maps for a config made for
2048-channel ResNet-50 I3D maps) fail at load time with the file named, not later as a shape
error inside the model.
"""
import os.path as osp
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform

from mmstvg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadSTVGFeatures(BaseTransform):
    """Index a video's precomputed features with ``frame_inds``.

    Required Keys:

    - feature_path (str): ``.npy``, ``.h5`` or ``.hdf5`` file of the video.
    - frame_inds (np.ndarray): (N,) original frame indices.
    - qid, video_name (optional): used in error messages / the h5 key.

    Added Keys:

    - features (np.ndarray): (N, D) float32 (more trailing dims if the file has them).

    Args:
        h5_key (str): dataset key inside an h5 file; ``{video_name}`` is replaced by the
            query's ``video_name`` (one h5 file holding all videos:
            ``h5_key='{video_name}'``). Defaults to ``'features'``.
        frame_stride (int): original frames per feature row. Defaults to 1.
        mmap (bool): memory-map ``.npy`` files instead of reading them whole.
            Defaults to True.
        channels (int, optional): expected size of the features' last axis (channels);
            a file with another size raises a ``ValueError`` naming it. None: not checked.
    """

    def __init__(self,
                 h5_key: str = 'features',
                 frame_stride: int = 1,
                 mmap: bool = True,
                 channels: Optional[int] = None) -> None:
        if int(frame_stride) < 1:
            raise ValueError(f'frame_stride must be >= 1, got {frame_stride}')
        self.h5_key = h5_key
        self.frame_stride = int(frame_stride)
        self.mmap = mmap
        self.channels = None if channels is None else int(channels)

    def _read_rows(self, path: str, rows: np.ndarray, results: dict) -> np.ndarray:
        """Read ``rows`` (1-D int64) of the feature array in ``path``."""
        ext = osp.splitext(path)[1].lower()
        if ext == '.npy':
            arr = np.load(path, mmap_mode='r' if self.mmap else None)
            self._check_shape(arr.shape, rows, path, results)
            return np.asarray(arr[rows])
        if ext in ('.h5', '.hdf5'):
            import h5py
            key = self.h5_key.format(video_name=results.get('video_name', ''))
            with h5py.File(path, 'r') as f:
                if key not in f:
                    raise KeyError(f'LoadSTVGFeatures: no dataset {key!r} in {path} '
                                   f'(keys: {list(f.keys())[:10]}).')
                dset = f[key]
                self._check_shape(dset.shape, rows, path, results)
                uniq, inverse = np.unique(rows, return_inverse=True)
                return np.asarray(dset[uniq])[inverse.reshape(-1)]
        raise ValueError(f'LoadSTVGFeatures: unsupported feature file {path} '
                         '(expected .npy, .h5 or .hdf5).')

    def _check_shape(self, shape: tuple, rows: np.ndarray, path: str, results: dict) -> None:
        if self.channels is not None and (len(shape) < 2 or shape[-1] != self.channels):
            raise ValueError(
                f'LoadSTVGFeatures: {path} (query {results.get("qid")!r}) holds features of '
                f'shape {tuple(shape)}, {shape[-1] if len(shape) > 1 else "no"} channels; the '
                f'config expects {self.channels} (the `out_channels` of its feature extractor '
                'config): extract the features with that extractor, or use the config made '
                'for these features.')
        num_rows = shape[0]
        if rows.size and (rows.min() < 0 or rows.max() >= num_rows):
            bad = rows[(rows < 0) | (rows >= num_rows)]
            raise IndexError(
                f'LoadSTVGFeatures: frame index out of range for {path}: row(s) '
                f'{bad[:5].tolist()} (frame_stride={self.frame_stride}) requested, the file '
                f'has {num_rows} rows.')

    def transform(self, results: dict) -> dict:
        """Add ``features``.

        Args:
            results (dict): the result dict.

        Returns:
            dict: the result dict.
        """
        path: Optional[str] = results.get('feature_path')
        if not path:
            raise KeyError(f'LoadSTVGFeatures: query {results.get("qid")!r} has no '
                           '`feature_path` (set `data_prefix["feature"]` in the dataset).')
        if not osp.isfile(path):
            raise FileNotFoundError(f'LoadSTVGFeatures: feature file {path} not found '
                                    f'(query {results.get("qid")!r}).')
        frame_inds = np.asarray(results['frame_inds'], dtype=np.int64).reshape(-1)
        rows = frame_inds // self.frame_stride
        results['features'] = self._read_rows(path, rows, results).astype(np.float32)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(h5_key={self.h5_key!r}, '
                f'frame_stride={self.frame_stride}, mmap={self.mmap}, '
                f'channels={self.channels})')
