"""Video I/O of mmstvg, in one package: probe, decode chosen frames, the video / annotation
tolerance, write mp4 / GIF.

Frame indices are 0-based indices of the frames in decoding output order (presentation
order), counted from the first decodable frame, exactly as the decode transforms, the
datasets and the metric count them (``docs/data_flow.md``); when the decoder seeks to a key
frame, the frames are told by their timestamps (:mod:`.decode`), so a frame index means the
same frame everywhere. Frames are RGB ``uint8`` and upright (the
display rotation of the container is applied, as ``ffmpeg``, OpenCV and decord do).

One module per concern; import from the package (``from mmstvg.utils.video_io import X``):

- :mod:`.probe`: :func:`probe_video` (frame count, average frame rate, size, the presentation
  time of every frame, variable rate) as a :class:`VideoInfo`; :func:`open_video`,
  :func:`container_meta`, :func:`timing_from_pts`, :class:`VideoReadError`.
- :mod:`.rotation`: the display rotation (:func:`display_rotation`, :func:`to_display`,
  :func:`frame_to_rgb`; why the frames are shown upright).
- :mod:`.decode`: :func:`iter_frames` / :func:`read_video` (PyAV, seeking over the frames it
  skips) and
  :func:`decode_frames` (PyAV or decord, any indices, clamp policy): what both decode
  transforms (``STVGPyAVDecode``, ``STVGDecordDecode``) call.
- :mod:`.tolerance`: the one place where the tolerance between a video and its annotation is
  decided (frames clamped past the end, frame count, frame rate, frame size):
  :func:`clamp_frame_indices`, :func:`check_frame_coverage`,
  :func:`check_video_against_annotation`, :func:`video_annotation_check`,
  :class:`VideoMismatchError`. The decoders and ``tools/data/check_dataset.py`` both call it,
  so the data gate and the pipeline agree.
- :mod:`.writers`: :class:`VideoWriter` (H.264 mp4 / mkv / avi / mov) and :func:`write_gif`,
  at a constant rate or each frame at its own presentation time; :class:`OutputFile` (video,
  GIF or image by the suffix); :func:`output_timing` (the clock of an output).
"""
from .decode import decode_frames, iter_frames, read_video
from .probe import (VFR_RTOL, VideoInfo, VideoReadError, container_meta, first_frame_rotation,
                    is_decord_reader, open_video, probe_video, timing_from_pts)
from .rotation import display_rotation, frame_to_rgb, to_display
from .tolerance import (DEFAULT_MAX_CLAMP, FPS_RTOL, VideoMismatchError, check_frame_coverage,
                        check_video_against_annotation, clamp_frame_indices, clamp_tolerance,
                        raise_on_mismatch, video_annotation_check)
from .writers import (GIF_SUFFIX, IMAGE_SUFFIXES, VIDEO_SUFFIXES, WRITE_TIME_BASE, OutputFile,
                      VideoWriter, gif_durations_ms, output_kind, output_timing, write_gif,
                      write_video)

__all__ = [
    # probe
    'VFR_RTOL',
    'VideoInfo',
    'VideoReadError',
    'container_meta',
    'first_frame_rotation',
    'is_decord_reader',
    'open_video',
    'probe_video',
    'timing_from_pts',
    # rotation
    'display_rotation',
    'frame_to_rgb',
    'to_display',
    # decode
    'decode_frames',
    'iter_frames',
    'read_video',
    # tolerance
    'DEFAULT_MAX_CLAMP',
    'FPS_RTOL',
    'VideoMismatchError',
    'check_frame_coverage',
    'check_video_against_annotation',
    'clamp_frame_indices',
    'clamp_tolerance',
    'raise_on_mismatch',
    'video_annotation_check',
    # writers
    'GIF_SUFFIX',
    'IMAGE_SUFFIXES',
    'VIDEO_SUFFIXES',
    'WRITE_TIME_BASE',
    'OutputFile',
    'VideoWriter',
    'gif_durations_ms',
    'output_kind',
    'output_timing',
    'write_gif',
    'write_video'
]
