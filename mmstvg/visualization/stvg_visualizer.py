"""Visualizer of spatio-temporal video grounding results (a tube drawn on its video).

Conventions (``docs/data_flow.md``): frame indices are 0-based indices of the ORIGINAL video;
spans are half-open ``[start, end)``; boxes are absolute ``xyxy`` pixels of the original
frames. ``gt_tube`` / ``pred_tube`` are the fields of
:class:`~mmstvg.structures.STVGDataSample`.

Every drawn frame shows (see :mod:`mmstvg.visualization.draw_tube` for the layout): the
sentence as a caption above the frame, the GT box (green) on the frames of the GT span, the
predicted box (red) on the frames of the predicted span (interpolated between the predicted
``frame_ids`` and held at the ends, as the ``dense`` protocol scores it), and below the frame
the frame index, both spans, their tIoU and a timeline bar (GT span on the upper half,
predicted span on the lower half, a cursor at the current frame).

Outputs of :meth:`STVGVisualizer.add_datasample` (as mmdet's ``DetLocalVisualizer``: an
``out_file`` replaces the vis backends):

- ``out_file`` ending in ``.gif``: an animated GIF (PIL when installed, else PyAV);
- ``out_file`` ending in an image suffix (``.png``, ``.jpg`` ...): the key-frame montage;
- ``out_file`` ending in ``.mp4``, ``.mkv``, ``.avi`` or ``.mov``: a video written with PyAV
  (H.264 ``libx264`` / ``yuv420p`` by default), frames streamed to the encoder; any other
  suffix is an error raised before anything is drawn;
- no ``out_file``: the montage of a few key frames goes to every vis backend through
  ``add_image`` (``LocalVisBackend`` saves ``vis_data/vis_image/<name>_<step>.png``), and
  the drawn frames (at most ``backend_max_frames``) through :meth:`STVGVisualizer.add_video`
  (a backend's ``add_video``, as mmaction2's, else ``add_image`` per frame).

Output timing: drawn from a video FILE without an explicit ``fps``, the output keeps the
source timing: its frame rate, or, for a variable-frame-rate video, every frame's presentation
time (frames thinned by ``max_frames`` keep the duration). Otherwise frames are written at a
constant ``fps`` (the metainfo's, else ``default_fps``), divided by the frame stride. Video
probing, decoding, timing and writing are :mod:`mmstvg.utils.video_io`, the choice of frames
:mod:`mmstvg.visualization.frame_plan`, the drawing primitives
:mod:`mmstvg.visualization.draw_tube`; this module draws a query with them.
"""
import math
from contextlib import nullcontext
from typing import Iterator, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from mmengine.dist import master_only
from mmengine.structures import BaseDataElement
from mmengine.visualization import Visualizer

from mmstvg.registry import VISUALIZERS
from mmstvg.structures import Tube
from mmstvg.utils.video_io import (OutputFile, VideoInfo, iter_frames, output_kind, output_timing,
                                   probe_video)
from .draw_tube import (BAND_COLOR, GT_COLOR, PRED_COLOR, TEXT_COLOR, TIMELINE_BG_COLOR,
                        TIMELINE_CLIP_COLOR, adaptive_scale, draw_tube_frame, layout_segments,
                        make_montage, render_caption, render_timeline_band, timeline_height,
                        timeline_info_segments, tube_boxes_at_frames)
from .frame_plan import plan_frames, select_keyframes

VideoType = Union[str, np.ndarray, Sequence[np.ndarray]]


# ----------------------------------------------------------------------------- visualizer
@VISUALIZERS.register_module()
class STVGVisualizer(Visualizer):
    """Draw GT / predicted tubes of an STVG query on its video.

    Args:
        name (str): instance name. Defaults to ``'visualizer'``.
        vis_backends (list[dict], optional): vis backend configs (they receive the key-frame
            montage as an image and the drawn frames, see :meth:`add_video`). Defaults to
            None.
        save_dir (str, optional): save folder of the backends. Defaults to None.
        gt_color, pred_color (tuple): RGB colours of the GT / predicted box and span.
            Defaults to green ``(0, 255, 0)`` / red ``(255, 0, 0)``.
        text_color, band_color (tuple): RGB text colour and background of the caption /
            timeline bands. Defaults to white / black.
        line_width (int, optional): box stroke in pixels; None scales it with the frame
            (``2 * scale``, ``scale`` = short edge / 360, in [0.4, 3]). Defaults to None.
        font_scale (float, optional): cv2 font scale; None gives ``0.5 * scale``.
        min_size (int, optional): frames whose short edge is below ``min_size`` are enlarged
            by the smallest integer factor reaching it (nearest neighbour; boxes scaled
            alike) so that text stays readable on tiny videos; None never enlarges.
            Defaults to 240.
        draw_caption (bool): draw the sentence above the frame (ASCII with cv2's font;
            other characters with a TrueType font that covers them, or '?' with a warning
            when none does: see :mod:`mmstvg.visualization.text_font`). Defaults to True.
        font_path (str, optional): TrueType / OpenType font tried first for non-ASCII
            sentences (e.g. a CJK font). Defaults to None (DejaVu Sans, then the system
            fonts).
        caption_max_lines (int): lines of the wrapped sentence kept. Defaults to 3.
        draw_timeline (bool): draw the info line and timeline below the frame. Defaults to
            True.
        timeline_bar_height (int, optional): rows of each half of the timeline bar; None
            gives ``max(3, 6 * scale)``.
        num_keyframes (int): frames in the montage (evenly spread over the hull of the GT and
            predicted spans, or over the drawn frames when there is none). Defaults to 4.
        montage_cols (int): montage images per row. Defaults to 4.
        default_fps (float): output frame rate when neither the call nor the data sample nor
            the video gives one. Defaults to 25.
        video_codec (str): PyAV encoder of video outputs. Defaults to ``'libx264'`` (H.264);
            ``'mpeg4'`` is used when PyAV lacks it.
        video_options (dict): encoder options. Defaults to ``dict(crf='23',
            preset='veryfast')`` (x264).
        gif_backend (str): ``'auto'`` (PIL, else PyAV), ``'pil'`` or ``'pyav'``.
        backend_video (bool): without an ``out_file``, also send the drawn frames to the vis
            backends (:meth:`add_video`), not only the montage. Defaults to True.
        backend_max_frames (int, optional): frames drawn for the vis backends when the
            call gives no ``max_frames`` (evenly strided; None: every frame). Defaults to 32.
        fig_save_cfg, fig_show_cfg (dict): see :class:`mmengine.visualization.Visualizer`.
    """

    def __init__(
        self,
        name: str = 'visualizer',
        vis_backends: Optional[List[dict]] = None,
        save_dir: Optional[str] = None,
        gt_color: Sequence[int] = GT_COLOR,
        pred_color: Sequence[int] = PRED_COLOR,
        text_color: Sequence[int] = TEXT_COLOR,
        band_color: Sequence[int] = BAND_COLOR,
        line_width: Optional[int] = None,
        font_scale: Optional[float] = None,
        min_size: Optional[int] = 240,
        draw_caption: bool = True,
        font_path: Optional[str] = None,
        caption_max_lines: int = 3,
        draw_timeline: bool = True,
        timeline_bar_height: Optional[int] = None,
        num_keyframes: int = 4,
        montage_cols: int = 4,
        default_fps: float = 25.,
        video_codec: str = 'libx264',
        video_options: Optional[dict] = None,
        gif_backend: str = 'auto',
        backend_video: bool = True,
        backend_max_frames: Optional[int] = 32,
        fig_save_cfg: dict = dict(frameon=False),
        fig_show_cfg: dict = dict(frameon=False)
    ) -> None:
        super().__init__(
            name=name,
            image=None,
            vis_backends=vis_backends,
            save_dir=save_dir,
            fig_save_cfg=fig_save_cfg,
            fig_show_cfg=fig_show_cfg)
        self.gt_color = tuple(int(c) for c in gt_color)
        self.pred_color = tuple(int(c) for c in pred_color)
        self.text_color = tuple(int(c) for c in text_color)
        self.band_color = tuple(int(c) for c in band_color)
        self.line_width = line_width
        self.font_scale = font_scale
        self.min_size = min_size
        self.draw_caption = draw_caption
        self.font_path = font_path
        self.caption_max_lines = int(caption_max_lines)
        self.draw_timeline = draw_timeline
        self.timeline_bar_height = timeline_bar_height
        self.num_keyframes = int(num_keyframes)
        self.montage_cols = int(montage_cols)
        self.default_fps = float(default_fps)
        self.video_codec = video_codec
        self.video_options = dict(crf='23', preset='veryfast') if video_options is None \
            else dict(video_options)
        self.gif_backend = gif_backend
        self.backend_video = backend_video
        self.backend_max_frames = backend_max_frames

    # ------------------------------------------------------------------ planning
    @staticmethod
    def _probe(video: VideoType) -> Tuple[int, Optional[VideoInfo]]:
        """``(num_frames, VideoInfo of a file or None)`` of the video itself."""
        if isinstance(video, str):
            info = probe_video(video)
            return info.num_frames, info
        return len(video), None

    def plan_frames(self,
                    data_sample: Optional[BaseDataElement],
                    video_num_frames: Optional[int] = None,
                    frame_range: Optional[Sequence[int]] = None,
                    max_frames: Optional[int] = None) -> Tuple[Tuple[int, int], np.ndarray]:
        """The frames to draw: see :func:`~mmstvg.visualization.frame_plan.plan_frames`."""
        return plan_frames(data_sample, video_num_frames, frame_range, max_frames)

    # ------------------------------------------------------------------ drawing
    def draw_frames(self,
                    video: VideoType,
                    data_sample: Optional[BaseDataElement] = None,
                    draw_gt: bool = True,
                    draw_pred: bool = True,
                    frame_range: Optional[Sequence[int]] = None,
                    max_frames: Optional[int] = None,
                    fps: Optional[float] = None) -> Iterator[Tuple[int, np.ndarray]]:
        """Yield the drawn frames of a query, one at a time (nothing is written).

        Args:
            video (str | np.ndarray | Sequence[np.ndarray]): a video file (decoded with PyAV)
                or the ORIGINAL frames, ``video[i]`` being frame ``i`` ((H, W, 3) uint8 RGB).
            data_sample (:obj:`STVGDataSample`, optional): ``gt_tube`` / ``pred_tube`` and
                metainfo ``sentence``, ``clip``, ``num_frames``, ``fps``.
            draw_gt, draw_pred (bool): draw the GT / predicted tube. Defaults to True.
            frame_range, max_frames: see :meth:`plan_frames`.
            fps (float, optional): frame rate of the time printed with the frame index;
                defaults to the presentation times of a video file, then the metainfo
                ``fps``.

        Yields:
            tuple[int, np.ndarray]: ``(frame_idx, canvas)``; every canvas of one call has the
            same size (caption band + frame + timeline band, see ``draw_tube``).
        """
        video_num_frames, info = self._probe(video)
        fps, times = output_timing(info, fps, self._meta(data_sample, 'fps'))
        yield from self._draw_frames(
            video, data_sample, draw_gt, draw_pred,
            *self.plan_frames(data_sample, video_num_frames, frame_range, max_frames), fps, times)

    @staticmethod
    def _tubes(data_sample: Optional[BaseDataElement], draw_gt: bool,
               draw_pred: bool) -> Tuple[Optional[Tube], Optional[Tube]]:
        """The GT and predicted tubes to draw (:meth:`Tube.from_element`), or None."""
        if data_sample is None:
            return None, None
        return (Tube.from_element(data_sample.get('gt_tube', None)) if draw_gt else None,
                Tube.from_element(data_sample.get('pred_tube', None)) if draw_pred else None)

    @staticmethod
    def _meta(data_sample: Optional[BaseDataElement], key: str, default=None):
        if data_sample is None:
            return default
        return data_sample.metainfo.get(key, default)

    def _draw_frames(self,
                     video: VideoType,
                     data_sample: Optional[BaseDataElement],
                     draw_gt: bool,
                     draw_pred: bool,
                     frame_range: Tuple[int, int],
                     frame_inds: np.ndarray,
                     fps: Optional[float],
                     times: Optional[np.ndarray] = None) -> Iterator[Tuple[int, np.ndarray]]:
        gt, pred = self._tubes(data_sample, draw_gt, draw_pred)
        gt_boxes = tube_boxes_at_frames(gt.span, gt.frame_ids, gt.bboxes,
                                        frame_inds) if gt is not None else None
        pred_boxes = tube_boxes_at_frames(pred.span, pred.frame_ids, pred.bboxes,
                                          frame_inds) if pred is not None else None
        row = {int(f): i for i, f in enumerate(frame_inds)}
        sentence = str(self._meta(data_sample, 'sentence', '') or '')
        clip = self._meta(data_sample, 'clip', None)

        if isinstance(video, str):
            frames = iter_frames(video, frame_inds)
        else:
            frames = ((int(f), video[int(f)]) for f in frame_inds if int(f) < len(video))

        gt_span = gt.span if gt is not None else None
        pred_span = pred.span if pred is not None else None
        layout = None
        for frame_idx, frame in frames:
            frame = np.asarray(frame)
            if layout is None:
                layout = self._layout(frame.shape, sentence, frame_range, gt_span, pred_span, fps)
            if layout['zoom'] > 1:
                frame = cv2.resize(
                    frame,
                    None,
                    fx=layout['zoom'],
                    fy=layout['zoom'],
                    interpolation=cv2.INTER_NEAREST)
            i = row[frame_idx]
            gt_box = gt_boxes[0][i] * layout['zoom'] \
                if gt_boxes is not None and gt_boxes[1][i] else None
            pred_box = pred_boxes[0][i] * layout['zoom'] \
                if pred_boxes is not None and pred_boxes[1][i] else None
            timeline = None
            if self.draw_timeline:
                timeline = render_timeline_band(
                    frame.shape[1],
                    layout['timeline_h'],
                    frame_idx,
                    frame_range,
                    gt_span=gt_span,
                    pred_span=pred_span,
                    clip=clip,
                    bar_height=layout['bar_h'],
                    font_scale=layout['font_scale'],
                    thickness=layout['thickness'],
                    fps=fps,
                    gt_color=self.gt_color,
                    pred_color=self.pred_color,
                    text_color=self.text_color,
                    bg_color=self.band_color,
                    timeline_bg_color=TIMELINE_BG_COLOR,
                    clip_color=TIMELINE_CLIP_COLOR,
                    seconds=float(times[frame_idx])
                    if times is not None and frame_idx < len(times) else None)
            canvas = draw_tube_frame(
                frame,
                frame_idx,
                gt_box=gt_box,
                pred_box=pred_box,
                caption_band=layout['caption'],
                timeline_band=timeline,
                gt_color=self.gt_color,
                pred_color=self.pred_color,
                line_width=layout['line_width'])
            yield frame_idx, canvas

    def _layout(self, frame_shape: Sequence[int], sentence: str, frame_range: Sequence[int],
                gt_span: Optional[Sequence[int]], pred_span: Optional[Sequence[int]],
                fps: Optional[float]) -> dict:
        """Sizes derived from the (original) frame size, constant over one video: the
        enlargement factor ``zoom``, text / stroke sizes, the caption band and the timeline
        band height (enough info lines for the widest frame index)."""
        short = max(min(int(frame_shape[0]), int(frame_shape[1])), 1)
        zoom = 1
        if self.min_size is not None and short < self.min_size:
            zoom = int(math.ceil(self.min_size / float(short)))
        height, width = int(frame_shape[0]) * zoom, int(frame_shape[1]) * zoom
        scale = adaptive_scale((height, width))
        font_scale = self.font_scale if self.font_scale is not None else 0.5 * scale
        thickness = max(int(round(scale)), 1)
        line_width = self.line_width if self.line_width is not None \
            else max(int(round(2 * scale)), 1)
        bar_h = self.timeline_bar_height if self.timeline_bar_height is not None \
            else max(int(round(6 * scale)), 3)
        caption = None
        if self.draw_caption and sentence:
            caption = render_caption(
                sentence,
                width,
                font_scale,
                thickness,
                max_lines=self.caption_max_lines,
                color=self.text_color,
                bg_color=self.band_color,
                font_path=self.font_path)
        widest = timeline_info_segments(max(int(frame_range[1]) - 1, 0), gt_span, pred_span, fps)
        info_lines = len(layout_segments(widest, width, font_scale, thickness))
        return dict(
            zoom=zoom,
            font_scale=font_scale,
            thickness=thickness,
            line_width=line_width,
            bar_h=bar_h,
            caption=caption,
            timeline_h=timeline_height(font_scale, thickness, bar_h, info_lines=info_lines))

    def canvas_geometry(self, frame_shape: Sequence[int], sentence: str = '') -> dict:
        """Where a video frame lands in the drawn canvas.

        Args:
            frame_shape (Sequence[int]): (H, W) of the original frames.
            sentence (str): the caption (its wrapped height shifts the frame down).

        Returns:
            dict: ``zoom`` (integer enlargement of the frame) and ``top`` (rows above it):
            original pixel ``(y, x)`` is drawn at ``(top + y * zoom, x * zoom)``.
        """
        layout = self._layout(frame_shape, sentence, (0, 1), None, None, None)
        top = 0 if layout['caption'] is None else int(layout['caption'].shape[0])
        return dict(zoom=int(layout['zoom']), top=top)

    # ------------------------------------------------------------------ main entry
    @master_only
    def add_datasample(self,
                       name: str,
                       video: VideoType,
                       data_sample: Optional[BaseDataElement] = None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0,
                       out_file: Optional[str] = None,
                       step: int = 0,
                       fps: Optional[float] = None,
                       max_frames: Optional[int] = None,
                       frame_range: Optional[Sequence[int]] = None) -> Optional[np.ndarray]:
        """Draw the GT / predicted tube of one query on every frame of its video.

        - ``out_file`` given: write it (video, GIF or montage image, by suffix; see the
          module docstring); the vis backends are not used.
        - otherwise: the key-frame montage is recorded by every vis backend
          (``add_image(name, montage, step)``), and, with ``backend_video``, the drawn
          frames too (:meth:`add_video`; at most ``backend_max_frames`` unless
          ``max_frames`` is given).
        - ``show``: display the montage (needs a display).

        Args:
            name (str): identifier of the sample (vis backends, window title).
            video (str | np.ndarray | Sequence[np.ndarray]): a video file (decoded with PyAV)
                or its ORIGINAL frames (``video[i]`` = frame ``i``, (H, W, 3) uint8 RGB).
            data_sample (:obj:`STVGDataSample`, optional): ``gt_tube`` (``span``, ``bboxes``),
                ``pred_tube`` (``span``, ``frame_ids``, ``bboxes``) in original frames /
                pixels, and metainfo ``sentence``, ``fps``, ``num_frames``, ``clip``.
            draw_gt, draw_pred (bool): draw the GT / predicted tube. Defaults to True.
            show (bool): display the montage. Defaults to False.
            wait_time (float): seconds to show it (0: until a key). Defaults to 0.
            out_file (str, optional): output file: ``.mp4`` / ``.mkv`` / ``.avi`` /
                ``.mov``, ``.gif`` or an image suffix; another suffix raises ``ValueError``
                before anything is drawn. Defaults to None.
            step (int): global step for the vis backends. Defaults to 0.
            fps (float, optional): output frame rate (constant), divided by the frame stride
                when ``max_frames`` thins the frames (the duration is kept). None: a video
                FILE keeps its source timing (each frame's presentation time, variable frame
                rates included); frames given as arrays are written at the metainfo ``fps``,
                else ``default_fps``.
            max_frames (int, optional): draw at most this many frames, evenly strided over
                ``frame_range``. None draws every frame. Defaults to None.
            frame_range (Sequence[int], optional): half-open ``[first, last + 1)`` original
                frames to draw (e.g. the query ``clip``); defaults to the whole video.

        Returns:
            np.ndarray or None: the (H', W', 3) uint8 RGB key-frame montage (None when no
            frame could be drawn).
        """
        if out_file is not None:
            output_kind(out_file)  # an unknown suffix raises before any work
        video_num_frames, info = self._probe(video)
        if out_file is None and max_frames is None and self.backend_video:
            max_frames = self.backend_max_frames  # the drawn frames go to the backends
        frame_range, frame_inds = self.plan_frames(data_sample, video_num_frames, frame_range,
                                                   max_frames)
        fps, times = output_timing(info, fps, self._meta(data_sample, 'fps'))
        stride = int(frame_inds[1] - frame_inds[0]) if frame_inds.size > 1 else 1
        out_fps = float(fps or self.default_fps) / stride
        gt, pred = self._tubes(data_sample, draw_gt, draw_pred)
        keyframes = set(int(f) for f in select_keyframes(frame_inds, gt, pred, self.num_keyframes))

        output = nullcontext() if out_file is None else OutputFile(
            out_file, out_fps, self.video_codec, self.video_options, self.gif_backend,
            info.time_base if times is not None else None)
        with output:
            key_canvases, drawn, last = [], [], None
            for frame_idx, canvas in self._draw_frames(video, data_sample, draw_gt, draw_pred,
                                                       frame_range, frame_inds, fps, times):
                last = canvas
                if frame_idx in keyframes:
                    key_canvases.append(canvas)
                if out_file is not None:
                    output.write(
                        canvas,
                        float(times[frame_idx])
                        if times is not None and frame_idx < len(times) else None)
                elif self.backend_video:
                    drawn.append(canvas)
            if last is None:
                return None
            montage = make_montage(key_canvases or [last], ncols=self.montage_cols)
            if show:
                self.show(montage, win_name=name, wait_time=wait_time)
            if out_file is not None:
                output.close(montage)
                return montage
        self.add_image(name, montage, step)
        if drawn:
            self.add_video(name, np.stack(drawn), step, out_fps)
        return montage

    @master_only
    def add_video(self, name: str, frames: np.ndarray, step: int = 0, fps: float = 4.) -> None:
        """Record drawn frames with every vis backend (as mmaction2's ``ActionVisualizer``).

        A backend with ``add_video`` (mmaction2's ``LocalVisBackend``,
        ``TensorboardVisBackend``, ``WandbVisBackend``) gets the clip; any other
        (mmengine's) gets each frame through ``add_image`` as ``<name>_frame_<k>``
        (``LocalVisBackend``: ``vis_data/vis_image/<name>_frame_<k>_<step>.png``).

        Args:
            name (str): identifier of the clip.
            frames (np.ndarray): (T, H, W, 3) uint8 RGB drawn frames.
            step (int): global step. Defaults to 0.
            fps (float): frame rate of the clip. Defaults to 4.
        """
        for backend in self._vis_backends.values():
            if hasattr(backend, 'add_video'):
                backend.add_video(name, frames, step=step, fps=fps)
            else:
                for k, frame in enumerate(frames):
                    backend.add_image(f'{name}_frame_{k}', frame, step)
