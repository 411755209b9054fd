"""A Qwen-VL video processor without torchvision, and the video metadata mmstvg passes to it.

transformers' ``Qwen2VLVideoProcessor`` / ``Qwen3VLVideoProcessor`` (and every
``BaseVideoProcessor``) need torchvision, which this project cannot import. Their work on
frames that are already sampled and resized (``SampleMLLMFrames``, ``ResizeForMLLM``) is
small: rescale and normalise, repeat the last frame up to a multiple of the temporal patch,
and cut the clip into ``temporal_patch_size x patch_size x patch_size`` patches in the order
the vision encoder merges them. :class:`FrameVideoProcessor` does exactly that in numpy (the
patch order is transformers' ``patchify``, tested against the image processor's, which
shares it), and resizes (``smart_resize``, cv2 bicubic) only when a frame is not on the patch
grid. It is a ``VideoProcessorMixin``, so transformers'
``Qwen2VLProcessor`` / ``Qwen2_5_VLProcessor`` / ``Qwen3VLProcessor`` take it as their video
processor and do the rest themselves: the token count, ``second_per_grid_ts``
(Qwen2.5-VL) and the ``<t seconds>`` timestamps (Qwen3-VL), from the video metadata.

The metadata (:class:`STVGVideoMetadata`) is what makes the model's time axis the video's:
``fps`` and ``frames_indices`` such that ``frames_indices[k] / fps`` is the presentation time
of sampled frame ``k`` (Qwen3-VL's timestamps), and ``sampled_fps`` the rate of the sampling
grid (Qwen2.5-VL's ``second_per_grid_ts = temporal_patch_size / sampled_fps``). A video
without metadata is refused: transformers would assume 24 fps.
"""
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
from transformers.image_processing_utils import BatchFeature
from transformers.video_processing_utils import VideoProcessorMixin
from transformers.video_utils import VideoMetadata, make_batched_videos

#: CLIP normalisation (Qwen2-VL, Qwen2.5-VL) and [-1, 1] (Qwen3-VL)
OPENAI_CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
HALF = (0.5, 0.5, 0.5)


@dataclass
class STVGVideoMetadata(VideoMetadata):
    """transformers' ``VideoMetadata`` of sampled frames with their presentation times.

    Attributes (besides ``VideoMetadata``'s ``total_num_frames``, ``fps``, ``width``,
    ``height``, ``frames_indices``):
        frame_times (list[float]): presentation time (s) of each sampled frame, from the time
            origin of the sample.
        sample_rate (float): frames per second of the sampling grid.
    """
    frame_times: Optional[list] = None
    sample_rate: Optional[float] = None

    @property
    def timestamps(self) -> list:
        return list(self.frame_times)

    @property
    def sampled_fps(self) -> float:
        return float(self.sample_rate)

    @classmethod
    def from_sample(cls, frame_times: Sequence[float], sample_rate: float, fps: float, height: int,
                    width: int) -> 'STVGVideoMetadata':
        """The metadata of a sample's frames (``SampleMLLMFrames``' keys).

        ``frames_indices`` are the frames' positions on the video's nominal grid,
        ``frame_times * fps``: the frame offsets from the time origin at a constant frame rate
        (integers), fractional at a variable one, so that transformers' ``index / fps``
        (Qwen3-VL) gives the presentation times either way.
        """
        times = np.asarray(frame_times, dtype=np.float64).reshape(-1)
        pos = times * float(fps)
        rounded = np.rint(pos)
        pos = rounded.astype(np.int64).tolist() if np.allclose(pos, rounded, atol=1e-6) \
            else pos.tolist()
        return cls(
            total_num_frames=int(times.shape[0]),
            fps=float(fps),
            width=int(width),
            height=int(height),
            frames_indices=pos,
            frame_times=times.tolist(),
            sample_rate=float(sample_rate))


class FrameVideoProcessor(VideoProcessorMixin):
    """Patchify sampled frames for Qwen2-VL / Qwen2.5-VL / Qwen3-VL (module docstring).

    Args:
        patch_size (int): 14 (Qwen2/2.5-VL) or 16 (Qwen3-VL).
        temporal_patch_size (int): frames per patch. Defaults to 2.
        merge_size (int): patches merged per side into one token. Defaults to 2.
        image_mean, image_std (Sequence[float]): normalisation after rescaling to [0, 1].
        min_pixels, max_pixels (int): area bounds of a frame that must be resized (frames
            already on the grid, e.g. after ``ResizeForMLLM``, are not resized).
    """

    model_input_names = ['pixel_values_videos', 'video_grid_thw']

    def __init__(self,
                 patch_size: int = 14,
                 temporal_patch_size: int = 2,
                 merge_size: int = 2,
                 image_mean: Sequence[float] = OPENAI_CLIP_MEAN,
                 image_std: Sequence[float] = OPENAI_CLIP_STD,
                 min_pixels: int = 128 * 28 * 28,
                 max_pixels: int = 768 * 28 * 28,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.patch_size = int(patch_size)
        self.temporal_patch_size = int(temporal_patch_size)
        self.merge_size = int(merge_size)
        self.image_mean = [float(v) for v in image_mean]
        self.image_std = [float(v) for v in image_std]
        self.min_pixels = int(min_pixels)
        self.max_pixels = int(max_pixels)

    @property
    def factor(self) -> int:
        return self.patch_size * self.merge_size

    def _on_grid(self, video: np.ndarray) -> np.ndarray:
        """(T, H, W, 3) frames resized onto the patch grid (``smart_resize``, cv2 bicubic as
        ``ResizeForMLLM``) when they are not on it."""
        h, w = video.shape[1:3]
        if h % self.factor == 0 and w % self.factor == 0:
            return video
        import mmcv
        from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import smart_resize
        new_h, new_w = smart_resize(h, w, self.factor, self.min_pixels, self.max_pixels)
        return np.stack([
            mmcv.imresize(np.ascontiguousarray(f), (new_w, new_h), interpolation='bicubic')
            for f in video
        ])

    def patchify(self, video: np.ndarray):
        """(T, H, W, 3) uint8 frames -> ((grid_t * grid_h * grid_w, C * tps * ps * ps) float32
        patches, (grid_t, grid_h, grid_w)), in transformers' order."""
        v = np.asarray(video, dtype=np.float32) / 255.0
        v = (v - np.asarray(self.image_mean, np.float32)) / np.asarray(self.image_std, np.float32)
        v = v.transpose(0, 3, 1, 2)  # (T, C, H, W)
        t, c, h, w = v.shape
        pad = -t % self.temporal_patch_size
        if pad:
            v = np.concatenate([v, np.repeat(v[-1:], pad, axis=0)])
            t += pad
        ps, m, tps = self.patch_size, self.merge_size, self.temporal_patch_size
        gt, gh, gw = t // tps, h // ps, w // ps
        patches = v.reshape(gt, tps, c, gh // m, m, ps, gw // m, m, ps)
        patches = patches.transpose(0, 3, 6, 4, 7, 2, 1, 5, 8)
        return np.ascontiguousarray(patches.reshape(gt * gh * gw, c * tps * ps * ps)), \
            (gt, gh, gw)

    def preprocess(self,
                   videos,
                   video_metadata=None,
                   return_metadata: bool = False,
                   return_tensors=None,
                   **kwargs) -> BatchFeature:
        """Videos (each (T, H, W, 3) uint8, or a list of frames) -> ``pixel_values_videos``,
        ``video_grid_thw`` and, with ``return_metadata``, ``video_metadata``.

        Raises:
            ValueError: a video without metadata (or without ``fps``): transformers would
                assume 24 fps.
        """
        videos = make_batched_videos(videos)
        metas = video_metadata
        if isinstance(metas, (VideoMetadata, dict)):
            metas = [metas]
        if metas is None or len(metas) != len(videos) or any(m is None or m['fps'] is None
                                                             for m in metas):
            raise ValueError('FrameVideoProcessor: every video needs its metadata (fps, '
                             'frames_indices; STVGVideoMetadata.from_sample), else the model '
                             'would assume 24 fps')
        pixels, grids = [], []
        for video in videos:
            video = np.asarray(video)
            if video.ndim != 4:
                raise ValueError(f'a video must be (T, H, W, 3), got {video.shape}')
            if video.shape[-1] != 3 and video.shape[1] == 3:
                video = video.transpose(0, 2, 3, 1)
            patches, grid = self.patchify(self._on_grid(video))
            pixels.append(patches)
            grids.append(list(grid))
        out = BatchFeature(
            dict(pixel_values_videos=np.concatenate(pixels), video_grid_thw=np.asarray(grids)),
            tensor_type=return_tensors)
        if return_metadata:
            out['video_metadata'] = list(metas)
        return out

    def to_dict(self) -> dict:
        return dict(
            video_processor_type=type(self).__name__,
            patch_size=self.patch_size,
            temporal_patch_size=self.temporal_patch_size,
            merge_size=self.merge_size,
            image_mean=self.image_mean,
            image_std=self.image_std,
            min_pixels=self.min_pixels,
            max_pixels=self.max_pixels)
