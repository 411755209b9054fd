"""What the two decode transforms share: decoding ``frame_inds`` through
:func:`mmstvg.utils.video_io.decode_frames` and comparing the video with its annotation.

``STVGPyAVDecode`` (after ``mmaction.PyAVInit``) and ``STVGDecordDecode`` (after
``mmaction.DecordInit``) differ only in the reader they get and the backend they name; the
clamp policy (``out_of_range`` / ``max_clamp``), the annotation check and the repeated-index
copies are :mod:`mmstvg.utils.video_io`'s, so both decoders (and
``tools/data/check_dataset.py``) serve and refuse exactly the same videos.
"""
from typing import Optional

from mmcv.transforms import BaseTransform

from mmstvg.utils.video_io import (DEFAULT_MAX_CLAMP, FPS_RTOL, clamp_tolerance, container_meta,
                                   decode_frames, video_annotation_check)


class BaseVideoDecode(BaseTransform):
    """Decode ``frame_inds`` from the opened ``video_reader`` (abstract: see the subclasses).

    Before decoding, the video is compared with its annotation
    (:func:`mmstvg.utils.video_io.check_video_against_annotation`): a frame count (the
    reader's, without decoding) that differs from ``num_frames`` by more than the frames
    clamped (``max_clamp``), or a frame rate that differs from ``fps`` by more than
    ``fps_rtol``; after decoding, a frame size that differs from ``height`` x ``width``. Any
    of these raises :class:`~mmstvg.utils.video_io.VideoMismatchError` naming the file (the
    dataset adds the qid): the annotation's boxes would land on other pixels or frames. Keys
    absent from the results (e.g. a query file without annotations) are not compared.

    Required Keys:

    - video_reader: the opened video (set by mmaction2's ``PyAVInit`` / ``DecordInit``).
    - frame_inds (np.ndarray): (N,) sorted or unsorted original frame indices (duplicates
      allowed).
    - filename (str, optional): used in error messages.
    - num_frames, fps, height, width (optional): the annotation, compared with the video.

    Modified Keys:

    - video_reader: set to None (a PyAV container is closed).

    Added Keys:

    - imgs (list[np.ndarray]): N frames (H, W, 3) uint8 RGB, upright, in the order of
      ``frame_inds``; a repeated index gets its own array.
    - original_shape (tuple[int, int]): (H, W) of the decoded frames.
    - img_shape (tuple[int, int]): (H, W), same as ``original_shape``.
    - total_frames (int): the decodable frames, when the decoder learnt them (see
      :func:`~mmstvg.utils.video_io.decode_frames`).

    Args:
        out_of_range (str): ``'clamp'``: an index past the last decodable frame gets the last
            frame; ``'error'``: raise ``IndexError`` naming the file. Defaults to ``'clamp'``.
        max_clamp (int): ``'clamp'`` only covers indices at most this many frames past the
            last decodable one (annotated frame counts that exceed the file by a frame or
            two); a video shorter than that is truncated and raises ``IndexError`` rather
            than having its missing frames faked. None: no limit. Defaults to
            ``DEFAULT_MAX_CLAMP`` (2).
        check_annotation (bool): compare the video with its annotation (see above).
            Defaults to True.
        fps_rtol (float): relative frame-rate tolerance of that check. Defaults to
            ``FPS_RTOL``.
    """

    #: ``backend`` of :func:`~mmstvg.utils.video_io.decode_frames`.
    backend = 'pyav'

    def __init__(self,
                 out_of_range: str = 'clamp',
                 max_clamp: Optional[int] = DEFAULT_MAX_CLAMP,
                 check_annotation: bool = True,
                 fps_rtol: float = FPS_RTOL) -> None:
        clamp_tolerance(out_of_range, max_clamp)  # validates out_of_range
        self.out_of_range = out_of_range
        self.max_clamp = max_clamp
        self.check_annotation = check_annotation
        self.fps_rtol = fps_rtol

    def _decode_kwargs(self) -> dict:
        """Backend options for :func:`~mmstvg.utils.video_io.decode_frames`."""
        return {}

    def transform(self, results: dict) -> dict:
        """Decode the frames (boxes untouched).

        Args:
            results (dict): the result dict.

        Returns:
            dict: the result dict.
        """
        reader = results['video_reader']
        filename = results.get('filename', '<video>')
        check = video_annotation_check(results, self.out_of_range, self.max_clamp,
                                       self.fps_rtol) if self.check_annotation else None
        if check is not None:
            try:
                check(**container_meta(reader))
            except Exception:
                _close(reader)
                raise
        imgs, available = decode_frames(
            reader,
            results['frame_inds'],
            out_of_range=self.out_of_range,
            max_clamp=self.max_clamp,
            backend=self.backend,
            filename=filename,
            **self._decode_kwargs())
        if available >= 0:
            results['total_frames'] = available
        if check is not None:
            check(height=imgs[0].shape[0], width=imgs[0].shape[1])
        results['imgs'] = imgs
        results['original_shape'] = imgs[0].shape[:2]
        results['img_shape'] = imgs[0].shape[:2]
        results['video_reader'] = None
        return results

    def __repr__(self) -> str:
        args = dict(
            self._decode_kwargs(),
            max_clamp=self.max_clamp,
            out_of_range=self.out_of_range,
            check_annotation=self.check_annotation)
        return f'{self.__class__.__name__}(' + ', '.join(f'{k}={v!r}'
                                                         for k, v in args.items()) + ')'


def _close(reader) -> None:
    close = getattr(reader, 'close', None)  # a PyAV container; a decord reader has none
    if close is not None:
        close()
