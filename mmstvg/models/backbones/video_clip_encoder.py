"""Clip-level visual features computed online (an option; not the paper's path).

The paper extracts ``F_c`` (T x H x W x c) from T uniformly sampled video clips with a
SlowFast network pre-trained on AVA (§1.2). That path is ``tools/data/extract_features.py``
with ``configs/_base_/feature_extractors/slowfast_r50_4x16_ava.py`` (one 32-frame clip per
row) read by ``LoadSTVGFeatures``; the STVGFormer HC-STVG / VidSTG configs use it. This
module is the online alternative: the T sampled frames are fed to an mmaction2 3-D
backbone (``mmaction.ResNet3dSlowFast``, ``mmaction.ResNet3d``, ...) as one video
(B, 3, T, H, W): with the temporal strides of the AVA SlowFast (none in the fast pathway, the
slow pathway reads every ``resample_rate``-th frame), each sampled frame gets a feature whose
temporal receptive field covers its neighbouring sampled frames, i.e. a clip centred on it —
one forward pass instead of T. It is not the paper's input: the frames a clip sees are the
sparse sampled frames (their spacing differs between 48 training and 96 test frames per pass,
and the slow pathway's stride is stretched accordingly). Every pathway's output is
resampled to T time steps (nearest: a frame takes the feature of the slow clip it belongs
to) and to a common spatial size, and the pathways are concatenated on channels. To use
features of T separately extracted clips instead, drop the video backbone and load them
with ``LoadSTVGFeatures``.

Pretrained weights: an mmaction2 AVA detector checkpoint (``backbone.*`` keys) loads with
``init_cfg=dict(type='Pretrained', checkpoint=...)`` on this module (its backbone is the
``backbone`` attribute, so the keys match; the detector's head keys are reported unused).
mmaction's SlowFast ignores its own ``init_cfg``, so set it here, not on the backbone.
"""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm

from mmstvg.registry import MODELS


@MODELS.register_module()
class VideoClipEncoder(BaseModule):
    """One clip-level feature map per sampled frame from an mmaction2 3-D backbone.

    Args:
        backbone (dict): mmaction2 3-D backbone config.
        spatial_size (Sequence[int], optional): (h, w) of the output; defaults to the first
            pathway's size.
        frame_chunk (int, optional): at inference, run at most this many frames at a time.
        freeze (bool): keep the backbone fixed (no gradients, BN statistics frozen: eval mode
            even while the grounder trains). Defaults to False. (For activation
            checkpointing, set ``with_cp=True`` in the mmaction2 backbone's config.)
        norm_eval (bool): keep the backbone's BatchNorm layers in eval mode while the grounder
            trains (frozen running statistics of the pretrained network; their affine weights
            still train unless ``freeze``). Batch statistics of one video's sampled frames
            are a poor estimate of the pretrained ones. Defaults to False.
        init_cfg (dict, optional): e.g. ``dict(type='Pretrained', checkpoint=...)``.
    """

    def __init__(self,
                 backbone: dict,
                 spatial_size: Optional[Sequence[int]] = None,
                 frame_chunk: Optional[int] = None,
                 freeze: bool = False,
                 norm_eval: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.spatial_size = None if spatial_size is None else tuple(int(s) for s in spatial_size)
        self.frame_chunk = frame_chunk
        self.out_channels = self._infer_channels()
        self.freeze = freeze
        self.norm_eval = norm_eval
        if freeze:
            for p in self.backbone.parameters():
                p.requires_grad = False
            self.backbone.eval()

    def train(self, mode: bool = True):
        super().train(mode)
        if self.freeze:
            self.backbone.eval()
        elif mode and self.norm_eval:
            for m in self.backbone.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self

    @torch.no_grad()
    def _infer_channels(self) -> int:
        """Channels of the output, from a dry run in eval mode (BN statistics untouched)."""
        was_training = self.backbone.training
        self.backbone.eval()
        try:
            outs = self.backbone(torch.zeros(1, 3, 16, 64, 64))
        finally:
            self.backbone.train(was_training)
        outs = outs if isinstance(outs, (tuple, list)) else (outs, )
        return int(sum(o.shape[1] for o in outs))

    def _encode(self, video: torch.Tensor) -> torch.Tensor:
        """(B, 3, T, H, W) -> (B, C, T, h, w)."""
        t = video.shape[2]
        outs = self.backbone(video)
        outs = outs if isinstance(outs, (tuple, list)) else (outs, )
        size = self.spatial_size or tuple(outs[0].shape[-2:])
        feats = []
        for o in outs:
            if o.shape[2] != t:
                o = F.interpolate(o, size=(t, ) + tuple(o.shape[-2:]), mode='nearest')
            if tuple(o.shape[-2:]) != size:
                o = F.adaptive_avg_pool3d(o, (t, ) + size)
            feats.append(o)
        return torch.cat(feats, dim=1)

    def forward(self, imgs: torch.Tensor) -> torch.Tensor:
        """Encode the sampled frames.

        Args:
            imgs (Tensor): (B, T, 3, H, W) normalised frames.

        Returns:
            Tensor: (B, T, C, h, w) clip features.
        """
        video = imgs.transpose(1, 2)
        if self.training or not self.frame_chunk or video.shape[2] <= self.frame_chunk:
            feats = self._encode(video)
        else:
            feats = torch.cat([self._encode(c) for c in video.split(self.frame_chunk, 2)], 2)
        return feats.transpose(1, 2)
