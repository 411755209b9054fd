"""Decode the sampled frames of a video opened by mmaction2's ``PyAVInit``.

Why not mmaction2's ``PyAVDecode`` (1.2.0) as-is: it returns the right frames for arbitrary
sorted/duplicated ``frame_inds`` (verified in the tests), but in its ``'accurate'`` mode it

1. converts and keeps EVERY decoded frame up to ``max(frame_inds)`` as an RGB array: a
   VidSTG query whose clip starts at frame 2000 holds 2000 frames (~1.8 GB at 640x480) to
   return 32, and RGB conversion of unused frames dominates the decoding time;
2. maps indices past the last decodable frame with ``imgs[i % len(imgs)]``, i.e. silently
   returns frames from the START of the video (annotated frame counts often exceed the
   decodable ones by a frame or two): a wrong frame for a box target.

This transform decodes the same way (sequentially from the first frame, exact frame indices,
no key-frame seeking) but converts and keeps only the requested frames, and resolves indices
past the end by ``out_of_range``: the last decodable frame (``'clamp'``) or an error naming
the file (``'error'``). A repeated index yields a separate array (mmaction2's ``PyAVDecode``
returns the same object twice, which its in-place ``Flip`` then flips twice).
"""
from typing import Optional

from mmcv.transforms import BaseTransform

from mmstvg.registry import TRANSFORMS
from mmstvg.utils.video_io import (DEFAULT_MAX_CLAMP, FPS_RTOL, clamp_tolerance, container_meta,
                                   decode_frames, video_annotation_check)


@TRANSFORMS.register_module()
class STVGPyAVDecode(BaseTransform):
    """Decode ``frame_inds`` from a PyAV container (use after ``mmaction.PyAVInit``).

    Before decoding, the video is compared with its annotation
    (:func:`mmstvg.utils.video_io.check_video_against_annotation`): a container frame count
    that differs from ``num_frames`` by more than the frames clamped (``max_clamp``), or a
    frame rate that differs from ``fps`` by more than ``fps_rtol``; after decoding, a frame
    size that differs from ``height`` x ``width``. Any of these raises
    :class:`~mmstvg.utils.video_io.VideoMismatchError` naming the file (the dataset adds the
    qid): the annotation's boxes would land on other pixels or frames. Keys absent from the
    results (e.g. a query file without annotations) are not compared.

    Required Keys:

    - video_reader (av.container.InputContainer): set by ``mmaction.PyAVInit``.
    - frame_inds (np.ndarray): (N,) sorted or unsorted original frame indices (duplicates
      allowed).
    - filename (str, optional): used in error messages.
    - num_frames, fps, height, width (optional): the annotation, compared with the video.

    Modified Keys:

    - video_reader: closed and set to None.

    Added Keys:

    - imgs (list[np.ndarray]): N frames (H, W, 3) uint8 RGB, in the order of ``frame_inds``.
    - original_shape (tuple[int, int]): (H, W) of the decoded frames.
    - img_shape (tuple[int, int]): (H, W), same as ``original_shape``.
    - total_frames (int): updated to the number of decodable frames when the stream ended
      before ``max(frame_inds)``.

    Args:
        multi_thread (bool): let FFmpeg decode with threads (``thread_type='AUTO'``).
            Defaults to False.
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

    def __init__(self,
                 multi_thread: bool = False,
                 out_of_range: str = 'clamp',
                 max_clamp: Optional[int] = DEFAULT_MAX_CLAMP,
                 check_annotation: bool = True,
                 fps_rtol: float = FPS_RTOL) -> None:
        clamp_tolerance(out_of_range, max_clamp)  # validates out_of_range
        self.multi_thread = multi_thread
        self.out_of_range = out_of_range
        self.max_clamp = max_clamp
        self.check_annotation = check_annotation
        self.fps_rtol = fps_rtol

    def transform(self, results: dict) -> dict:
        """Decode the frames.

        Args:
            results (dict): the result dict.

        Returns:
            dict: the result dict.
        """
        container = results['video_reader']
        filename = results.get('filename', '<video>')
        check = video_annotation_check(results, self.out_of_range, self.max_clamp,
                                       self.fps_rtol) if self.check_annotation else None
        if check is not None:
            try:
                check(**container_meta(container))
            except Exception:
                container.close()
                raise
        imgs, available = decode_frames(
            container,
            results['frame_inds'],
            out_of_range=self.out_of_range,
            max_clamp=self.max_clamp,
            multi_thread=self.multi_thread,
            filename=filename)
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
        return (f'{self.__class__.__name__}(multi_thread={self.multi_thread}, '
                f'max_clamp={self.max_clamp}, '
                f'out_of_range={self.out_of_range!r}, '
                f'check_annotation={self.check_annotation})')
