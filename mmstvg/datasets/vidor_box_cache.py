"""A disk cache of the parsed VidOR box files (VidSTG's boxes), so that a dataset is built
from binary arrays instead of hundreds of megabytes of JSON after the first time (issue 28).

TubeDETR reads VidSTG from one JSON file made beforehand by its ``preproc_vidstg.py``; mmstvg
reads the released VidOR box files themselves, whose JSON is most of the cost of building a
VidSTG dataset. The first build parses each box file (``load_json``, every check) and stores
what mmstvg keeps of it, the boxes of every object as one ``float32`` array and the video
path, in ``<cache dir>/<key>.npz``; later builds read that file instead. The key is a hash of
the box file's absolute path, size and modification time (and of the cache format), so that
a box file that changes is parsed again; a cache file that cannot be read is ignored (and
written again), never trusted. A box file that fails its checks is not cached: it fails the
same way every time. Only local files are cached.

The cache directory is ``$MMSTVG_CACHE_DIR/vidor_boxes``, by default
``~/.cache/mmstvg/vidor_boxes`` (``$XDG_CACHE_HOME`` is honoured); the datasets take
``box_cache_dir`` (``False`` turns the cache off). Deleting the directory is always safe.
"""
import hashlib
import os
import os.path as osp
import tempfile
from typing import Dict, Optional, Tuple

import numpy as np

#: changes whenever the stored arrays change meaning
CACHE_FORMAT = 1


def default_cache_dir() -> str:
    """``$MMSTVG_CACHE_DIR/vidor_boxes`` (default ``~/.cache/mmstvg/vidor_boxes``)."""
    root = os.environ.get('MMSTVG_CACHE_DIR') or osp.join(
        os.environ.get('XDG_CACHE_HOME') or osp.join(osp.expanduser('~'), '.cache'), 'mmstvg')
    return osp.join(root, 'vidor_boxes')


class VidORBoxCache:
    """The cache of parsed VidOR box files in ``cache_dir`` (module docstring).

    Args:
        cache_dir (str, optional): the folder; None: :func:`default_cache_dir`.
    """

    def __init__(self, cache_dir: Optional[str] = None) -> None:
        self.cache_dir = cache_dir or default_cache_dir()
        self._writable: Optional[bool] = None

    def _entry(self, path: str) -> Optional[str]:
        """The cache file of box file ``path``; None when ``path`` is not a local file."""
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            return None
        key = f'{CACHE_FORMAT}|{osp.abspath(path)}|{st.st_size}|{st.st_mtime_ns}'
        return osp.join(self.cache_dir, hashlib.sha1(key.encode()).hexdigest() + '.npz')

    def load(self, path: str) -> Optional[Tuple[Optional[str], Dict[int, np.ndarray]]]:
        """``(video_path, {tid: (num_frames, 4) float32})`` of ``path`` from the cache, or
        None (not cached, changed since, or unreadable)."""
        entry = self._entry(path)
        if entry is None or not osp.isfile(entry):
            return None
        try:
            with np.load(entry, allow_pickle=False) as npz:
                tids, tracks = npz['tids'], npz['tracks']
                video_path = str(npz['video_path']) if bool(npz['has_video_path']) else None
        except Exception:  # noqa: BLE001  (a damaged cache file is parsed again)
            return None
        if tids.ndim != 1 or tracks.ndim != 3 or tracks.shape[0] != tids.shape[0]:
            return None
        return video_path, {int(t): track for t, track in zip(tids.tolist(), tracks)}

    def store(self, path: str, video_path: Optional[str], boxes: Dict[int, np.ndarray],
              num_frames: int) -> None:
        """Cache the parsed ``path`` (best effort: a folder that cannot be written is left
        alone, silently)."""
        entry = self._entry(path)
        if entry is None or self._writable is False:
            return
        tids = np.array(sorted(boxes), dtype=np.int64)
        tracks = np.stack([boxes[t] for t in tids.tolist()]) if boxes else np.zeros(
            (0, num_frames, 4), dtype=np.float32)
        try:
            os.makedirs(self.cache_dir, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.cache_dir, suffix='.tmp')
            try:
                with os.fdopen(fd, 'wb') as f:
                    np.savez(
                        f,
                        tids=tids,
                        tracks=tracks.astype(np.float32, copy=False),
                        video_path=np.array(video_path or ''),
                        has_video_path=np.array(video_path is not None))
                os.replace(tmp, entry)  # atomic: a reader sees the old file or the whole new
            finally:
                if osp.exists(tmp):
                    os.remove(tmp)
            self._writable = True
        except OSError:
            self._writable = False
