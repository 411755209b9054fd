"""The tolerance between a video and its annotation, in one place.

How many frames past the last decodable one the decoders serve with the last frame
(``out_of_range`` / ``max_clamp``), and whether a video's frame count, frame rate and frame
size agree with what its annotation says (:func:`check_video_against_annotation`). The decoders
(:func:`~mmstvg.utils.video_io.decode_frames`, hence both decode transforms) and
``tools/data/check_dataset.py`` all call these, so the data gate and the pipeline agree.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

#: Frames past the last decodable one that the decoders serve with the last frame
#: (``out_of_range='clamp'``): annotated frame counts often exceed the decodable frames of a
#: file by one or two. A video shorter than that is truncated (an error).
DEFAULT_MAX_CLAMP = 2
#: Relative tolerance between a video's average frame rate and its annotated ``fps``.
#: Loose on purpose: HC-STVG derives ``fps`` from ``img_num / 20``; the frame count (exact
#: when the container records it) is the precise check of "boxes on the right frames".
FPS_RTOL = 0.05


class VideoMismatchError(ValueError):
    """A video disagrees with its annotation (size, frame count or frame rate).

    Attributes:
        problems (list[tuple[str, str]]): ``(reason, message)`` pairs, see
            :func:`check_video_against_annotation`.
    """

    def __init__(self, message: str, problems: Sequence[Tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


def clamp_tolerance(out_of_range: str = 'clamp',
                    max_clamp: Optional[int] = DEFAULT_MAX_CLAMP) -> Optional[int]:
    """Frames past the last decodable one that are served (None: any number)."""
    if out_of_range not in ('clamp', 'error'):
        raise ValueError(f'out_of_range must be "clamp" or "error", got {out_of_range!r}')
    return 0 if out_of_range == 'error' else max_clamp


def check_frame_coverage(needed: int,
                         available: int,
                         out_of_range: str = 'clamp',
                         max_clamp: Optional[int] = DEFAULT_MAX_CLAMP) -> Optional[str]:
    """Whether ``available`` decodable frames serve every frame index below ``needed``.

    Args:
        needed (int): one past the largest frame index asked for.
        available (int): decodable frames of the video.
        out_of_range, max_clamp: the decoders' policy (see ``STVGPyAVDecode``).

    Returns:
        str or None: None when served (exactly, or by clamping at most ``max_clamp`` frames
        to the last one); otherwise the reason, for an error message.
    """
    tol = clamp_tolerance(out_of_range, max_clamp)
    if available >= needed or (tol is None and available > 0):
        return None
    if available > 0 and needed - available <= tol:
        return None
    return (f'frame {needed - 1} requested but the video has {available} decodable frames '
            f'(truncated video; out_of_range={out_of_range!r}, max_clamp={max_clamp})')


def clamp_frame_indices(inds: np.ndarray,
                        available: int,
                        out_of_range: str = 'clamp',
                        max_clamp: Optional[int] = DEFAULT_MAX_CLAMP,
                        filename: str = '<video>') -> np.ndarray:
    """Frame indices with those past the last of ``available`` decodable frames mapped to
    the last one, as far as the policy allows (:func:`check_frame_coverage`): what every
    decoder serves for ``inds``.

    Args:
        inds (np.ndarray): frame indices (>= 0).
        available (int): decodable frames of the video.
        out_of_range, max_clamp: the decoders' policy (see ``STVGPyAVDecode``).
        filename (str): named in the error.

    Returns:
        np.ndarray: ``inds``, each at most ``available - 1``.

    Raises:
        IndexError: the video does not serve ``inds`` (truncated, or ``'error'`` and an
        index past the end), naming ``filename``.
    """
    inds = np.asarray(inds, dtype=np.int64)
    reason = check_frame_coverage(int(inds.max()) + 1, available, out_of_range, max_clamp)
    if reason is not None:
        raise IndexError(f'{filename}: {reason}')
    return np.minimum(inds, available - 1)


def check_video_against_annotation(video: Dict[str, Optional[float]],
                                   ann: Dict[str, Optional[float]],
                                   out_of_range: str = 'clamp',
                                   max_clamp: Optional[int] = DEFAULT_MAX_CLAMP,
                                   fps_rtol: float = FPS_RTOL) -> List[Tuple[str, str]]:
    """Compare what a video is with what its annotation says it is.

    Boxes are absolute pixels of given frames: a video of another size, or whose frames are
    shifted (another frame count or rate: a different encode or download), puts every box on
    other pixels or frames. Keys missing or None on either side are not compared.

    Args:
        video (dict): ``num_frames``, ``fps``, ``height``, ``width`` of the file.
        ann (dict): the same keys from the annotation (``data_info``).
        out_of_range, max_clamp: the decoders' policy; the frame count may differ by the
            number of frames they clamp (``max_clamp``; 0 with ``'error'``; None: any).
        fps_rtol (float): relative frame-rate tolerance. Defaults to ``FPS_RTOL``.

    Returns:
        list[tuple[str, str]]: ``(reason, message)`` for each disagreement; reasons are
        ``'size_mismatch'``, ``'truncated_video'`` (fewer frames than annotated),
        ``'frame_count_mismatch'`` (more frames) and ``'fps_mismatch'``.
    """
    problems = []
    vh, vw, ah, aw = (video.get('height'), video.get('width'), ann.get('height'), ann.get('width'))
    if None not in (vh, vw, ah, aw) and (int(vh), int(vw)) != (int(ah), int(aw)):
        swapped = (int(vh), int(vw)) == (int(aw), int(ah))
        problems.append(('size_mismatch', f'the frames are {int(vw)}x{int(vh)} (WxH) but the '
                         f'annotation says {int(aw)}x{int(ah)}: its boxes are pixels of '
                         'another frame size' +
                         (' (width and height swapped: mmstvg shows a video turned upright by '
                          'its display rotation, as ffmpeg does; was the annotation made on '
                          'the unrotated frames?)' if swapped else '')))
    vn, an = video.get('num_frames'), ann.get('num_frames')
    if vn and an:
        vn, an = int(vn), int(an)
        short = check_frame_coverage(an, vn, out_of_range, max_clamp)
        tol = clamp_tolerance(out_of_range, max_clamp)
        if short is not None:
            problems.append(('truncated_video', f'the video has {vn} frames, the annotation '
                             f'{an} (more than the {tol} frame(s) the decoders clamp)'))
        elif tol is not None and vn - an > max(tol, 0):
            problems.append(('frame_count_mismatch', f'the video has {vn} frames, the '
                             f'annotation {an}: frames (and boxes) would be shifted'))
    vf, af = video.get('fps'), ann.get('fps')
    if vf and af and abs(float(vf) - float(af)) > fps_rtol * float(af):
        problems.append(('fps_mismatch', f'the video runs at {float(vf):g} fps, the '
                         f'annotation says {float(af):g} fps (tolerance {fps_rtol:.0%})'))
    return problems


def raise_on_mismatch(problems: Sequence[Tuple[str, str]], filename: str) -> None:
    """Raise :class:`VideoMismatchError` naming ``filename`` when ``problems`` is not empty."""
    if problems:
        raise VideoMismatchError(
            f'{filename} does not match its annotation: ' +
            '; '.join(f'{msg} [{reason}]' for reason, msg in problems) +
            ' (re-encode or re-download the video, or fix the annotation; '
            'tools/data/check_dataset.py lists every such video)', problems)


def video_annotation_check(results: dict,
                           out_of_range: str = 'clamp',
                           max_clamp: Optional[int] = DEFAULT_MAX_CLAMP,
                           fps_rtol: float = FPS_RTOL):
    """A checker of a pipeline's video against the annotation in ``results``.

    Args:
        results (dict): the pipeline results (``num_frames``, ``fps``, ``height``,
            ``width`` of the annotation; ``filename``).
        out_of_range, max_clamp, fps_rtol: see :func:`check_video_against_annotation`.

    Returns:
        callable or None: ``check(**video_fields)`` compares the given fields of the video
        (e.g. ``num_frames=``, ``fps=`` before decoding, ``height=``, ``width=`` after) and
        raises :class:`VideoMismatchError` naming the file; None when ``results`` carries
        no annotation to compare with.
    """
    keys = ('num_frames', 'fps', 'height', 'width')
    ann = {k: results.get(k) for k in keys if results.get(k) is not None}
    if not ann:
        return None
    filename = str(results.get('filename', '<video>'))

    def check(**video) -> None:
        raise_on_mismatch(
            check_video_against_annotation(video, ann, out_of_range, max_clamp, fps_rtol),
            filename)

    return check
