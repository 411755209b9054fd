"""Hook that draws predicted (and GT) tubes on their videos during validation / test.

Mirrors mmdet's ``DetVisualizationHook`` (same argument names, so that ``tools/test.py
--show-dir DIR`` sets ``default_hooks.visualization.draw=True`` and ``test_out_dir=DIR``):

- test: every sample of every batch (up to ``max_samples``) is drawn on its ORIGINAL video,
  decoded from ``data_sample.metainfo['filename']``. With ``test_out_dir`` the result goes to
  ``<work_dir>/<timestamp>/<test_out_dir>/<qid><out_suffix>`` (a video by default), and its
  key-frame montage next to it as ``<qid><montage_suffix>`` (``qid`` made safe for file
  names; an output that would be the sample's own video, e.g. an absolute ``test_out_dir``
  equal to the video folder with HC-STVG's file-name qids, raises ``OverwriteInputError``);
  without it the key-frame montage and the drawn frames go to the visualizer's vis backends.
- validation (only when ``draw``): the first sample of every ``interval``-th iteration is
  drawn and its montage and frames sent to the vis backends.

Metainfo the hook reads (``PackSTVGInputs`` keeps all of them by default): ``filename``
(required), ``qid`` (output file name; falls back to ``video_name`` then the sample index),
and, for the drawing, ``sentence``, ``fps``, ``num_frames`` and ``clip``. The tubes are the
``gt_tube`` / ``pred_tube`` of :class:`~mmstvg.structures.STVGDataSample` (original frames and
pixels).
"""
import logging
import os.path as osp
import re
import warnings
from typing import Optional, Sequence, Set

import mmcv
import numpy as np
from mmengine.fileio import get_local_path
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.utils import mkdir_or_exist
from mmengine.visualization import Visualizer

from mmstvg.registry import HOOKS
from mmstvg.structures import STVGDataSample
from mmstvg.utils.path_guard import check_outputs_not_inputs
from mmstvg.utils.video_io import VideoReadError, output_kind

_UNSAFE = re.compile(r'[^A-Za-z0-9._\-]+')


def sanitize_filename(name: str, max_len: int = 200) -> str:
    """``name`` reduced to ``[A-Za-z0-9._-]`` (other runs of characters become ``_``), without
    leading dots, at most ``max_len`` characters; ``'sample'`` when nothing is left."""
    name = _UNSAFE.sub('_', str(name)).lstrip('.')
    name = name[:max_len]
    return name or 'sample'


def _is_read_error(err: Exception) -> bool:
    """Whether ``err`` comes from reading / decoding a video (file system or FFmpeg)."""
    if isinstance(err, (OSError, VideoReadError)):
        return True
    try:
        import av
    except ImportError:
        return False
    return isinstance(err, av.error.FFmpegError)


@HOOKS.register_module()
class STVGVisualizationHook(Hook):
    """STVG visualization hook: draw the tubes of validation / test samples on their videos.

    In the testing phase (as mmdet's ``DetVisualizationHook``):

    1. ``show=True``: results are only displayed, the vis backends are dropped.
    2. ``test_out_dir`` set: one file per sample is written there (the vis backends are not
       used for those samples).
    3. otherwise the vis backends (e.g. ``LocalVisBackend``, ``TensorboardVisBackend``)
       receive the key-frame montage and the drawn frames of every sample (see
       :meth:`STVGVisualizer.add_video`; at most its ``backend_max_frames`` unless
       ``max_frames`` is set).

    Args:
        draw (bool): whether to draw anything. Defaults to False.
        interval (int): validation: draw the first sample of every ``interval``-th
            iteration. Defaults to 50.
        show (bool): display the montages (needs a display). Defaults to False.
        wait_time (float): seconds each montage is shown. Defaults to 0.
        test_out_dir (str, optional): output folder of the test drawings, relative to
            ``<work_dir>/<timestamp>/`` (an absolute path is used as is). Defaults to None.
        max_samples (int, optional): draw at most this many test samples (per test run).
            None draws them all. Defaults to None.
        out_suffix (str): file type of the test outputs: ``'.mp4'`` (H.264, frames streamed to
            the encoder), ``'.gif'`` (all drawn frames held in memory: combine with
            ``max_frames``) or an image suffix (``'.png'``: the key-frame montage only).
            Defaults to ``'.mp4'``.
        montage_suffix (str, optional): with a video or GIF ``out_suffix``, also write the
            key-frame montage (the GT and predicted tubes on a few frames of the spans, the
            sentence and the timeline) as ``<qid><montage_suffix>`` (an image suffix). None
            writes no montage. Defaults to ``'.png'``.
        draw_gt (bool): draw the GT tube when the sample has one. Defaults to True.
        draw_pred (bool): draw the predicted tube. Defaults to True.
        clip_only (bool): draw only the frames of the query's ``clip`` (metainfo; VidSTG
            queries live in a segment of a longer video); False draws the whole video.
            Defaults to True.
        max_frames (int, optional): draw at most this many frames per video (strided, the
            duration is kept). Defaults to None (every frame).
        fps (float, optional): constant output frame rate; None keeps the source video's
            timing (its rate, or each frame's time for a variable frame rate).
        backend_args (dict, optional): file backend arguments used to fetch the video (a
            remote video is copied to a local temporary file). Defaults to None.
    """

    def __init__(self,
                 draw: bool = False,
                 interval: int = 50,
                 show: bool = False,
                 wait_time: float = 0.,
                 test_out_dir: Optional[str] = None,
                 max_samples: Optional[int] = None,
                 out_suffix: str = '.mp4',
                 montage_suffix: Optional[str] = '.png',
                 draw_gt: bool = True,
                 draw_pred: bool = True,
                 clip_only: bool = True,
                 max_frames: Optional[int] = None,
                 fps: Optional[float] = None,
                 backend_args: Optional[dict] = None) -> None:
        self._visualizer: Visualizer = Visualizer.get_current_instance()
        if interval < 1:
            raise ValueError(f'STVGVisualizationHook: interval must be >= 1, got {interval}')
        self.interval = int(interval)
        self.show = show
        if self.show:
            # No need to think about vis backends.
            self._visualizer._vis_backends = {}
            warnings.warn('The show is True, it means that only the prediction results are '
                          'visualized without storing data, so vis_backends needs to be '
                          'excluded.')
        self.wait_time = wait_time
        self.draw = draw
        self.test_out_dir = test_out_dir
        self.max_samples = max_samples
        self.out_suffix = out_suffix if out_suffix.startswith('.') else f'.{out_suffix}'
        if montage_suffix is not None:
            montage_suffix = montage_suffix if montage_suffix.startswith('.') \
                else f'.{montage_suffix}'
            if output_kind(f'x{montage_suffix}') != 'image':
                raise ValueError(f'STVGVisualizationHook: montage_suffix must be an image '
                                 f'suffix (.png, .jpg ...), got {montage_suffix!r}')
        self.montage_suffix = montage_suffix
        self.draw_gt = draw_gt
        self.draw_pred = draw_pred
        self.clip_only = clip_only
        self.max_frames = max_frames
        self.fps = fps
        self.backend_args = backend_args
        self._test_index = 0
        self._test_out_path: Optional[str] = None
        self._used_names: Set[str] = set()

    # ------------------------------------------------------------------ helpers
    def _montage_file(self, out_file: Optional[str]) -> Optional[str]:
        """``<out_file stem><montage_suffix>`` next to a video / GIF output, else None (an
        image output is the montage itself)."""
        if out_file is None or self.montage_suffix is None or output_kind(out_file) == 'image':
            return None
        return osp.splitext(out_file)[0] + self.montage_suffix

    def _draw(self,
              name: str,
              data_sample: STVGDataSample,
              step: int,
              out_file: Optional[str] = None) -> bool:
        """Draw one sample (and write its montage beside ``out_file``); False (and a
        warning) when its video cannot be read."""
        filename = data_sample.metainfo.get('filename', None)
        if not filename:
            print_log(
                'STVGVisualizationHook: the data sample has no metainfo `filename` '
                '(keep it in PackSTVGInputs.meta_keys); sample not drawn.',
                logger='current',
                level=logging.WARNING)
            return False
        clip = data_sample.metainfo.get('clip', None)
        frame_range = tuple(int(v) for v in clip) if (self.clip_only and clip is not None) \
            else None
        try:
            with get_local_path(filename, backend_args=self.backend_args) as local_path:
                montage = self._visualizer.add_datasample(
                    name,
                    local_path,
                    data_sample=data_sample,
                    draw_gt=self.draw_gt,
                    draw_pred=self.draw_pred,
                    show=self.show,
                    wait_time=self.wait_time,
                    out_file=out_file,
                    step=step,
                    fps=self.fps,
                    max_frames=self.max_frames,
                    frame_range=frame_range)
        except Exception as err:  # noqa: BLE001
            if not _is_read_error(err):
                raise
            # a missing / unreadable video must not abort an evaluation: warn and go on
            print_log(
                f'STVGVisualizationHook: cannot read {filename} ({err}); sample '
                'not drawn.',
                logger='current',
                level=logging.WARNING)
            return False
        montage_file = self._montage_file(out_file)
        if montage_file is not None and montage is not None:
            mmcv.imwrite(np.ascontiguousarray(montage[..., ::-1]), montage_file)
        return True

    def _out_file(self, data_sample: STVGDataSample) -> str:
        """``<test_out_path>/<safe qid><out_suffix>``, unique within this test run."""
        meta = data_sample.metainfo
        qid = meta.get('qid', None) or meta.get('video_name', None) or \
            f'sample_{self._test_index}'
        stem = sanitize_filename(qid)
        if stem.lower().endswith(self.out_suffix.lower()):
            # HC-STVG qids are video file names: 'x.mp4' is written as 'x.mp4', not 'x.mp4.mp4'
            stem = stem[:-len(self.out_suffix)] or 'sample'
        name, k = stem, 1
        while name in self._used_names:
            name = f'{stem}_{k}'
            k += 1
        self._used_names.add(name)
        return osp.join(self._test_out_path, name + self.out_suffix)

    # ------------------------------------------------------------------ hook points
    def before_test(self, runner) -> None:
        """Reset the per-run state (sample count, output folder, used names)."""
        self._test_index = 0
        self._test_out_path = None
        self._used_names = set()

    def after_val_iter(self, runner, batch_idx: int, data_batch: dict,
                       outputs: Sequence[STVGDataSample]) -> None:
        """Draw the first sample of every ``interval``-th validation iteration.

        Args:
            runner (:obj:`Runner`): the runner of the validation process.
            batch_idx (int): index of the batch in the val loop.
            data_batch (dict): data from the dataloader.
            outputs (Sequence[STVGDataSample]): samples with ``pred_tube`` (and ``gt_tube``).
        """
        if self.draw is False or not outputs:
            return
        # There is no guarantee that the same batch is visualized at every evaluation.
        total_curr_iter = runner.iter + batch_idx
        if total_curr_iter % self.interval != 0:
            return
        data_sample = outputs[0]
        name = str(data_sample.metainfo.get('qid', 'val_video')) if self.show else 'val_video'
        self._draw(name, data_sample, step=total_curr_iter)

    def after_test_iter(self, runner, batch_idx: int, data_batch: dict,
                        outputs: Sequence[STVGDataSample]) -> None:
        """Draw every test sample (up to ``max_samples``).

        Args:
            runner (:obj:`Runner`): the runner of the test process (``work_dir``,
                ``timestamp``).
            batch_idx (int): index of the batch in the test loop.
            data_batch (dict): data from the dataloader.
            outputs (Sequence[STVGDataSample]): samples with ``pred_tube``.
        """
        if self.draw is False:
            return
        if self.test_out_dir is not None and self._test_out_path is None:
            self._test_out_path = osp.join(runner.work_dir, runner.timestamp, self.test_out_dir)
            mkdir_or_exist(self._test_out_path)
        for data_sample in outputs:
            if self.max_samples is not None and self._test_index >= self.max_samples:
                return
            self._test_index += 1
            out_file = self._out_file(data_sample) if self._test_out_path else None
            if out_file is not None:  # test_out_dir == the video folder: never overwrite
                check_outputs_not_inputs(
                    {
                        'test_out_dir output': out_file,
                        'test_out_dir montage': self._montage_file(out_file)
                    }, {'video': data_sample.metainfo.get('filename')})
            name = str(data_sample.metainfo.get('qid', 'test_video')) if self.show \
                else 'test_video'
            self._draw(name, data_sample, step=self._test_index, out_file=out_file)
