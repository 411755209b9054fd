"""The VidSwin-T motion branch of CG-STVG and TA-STVG on mmaction2's ``SwinTransformer3D``.

CG-STVG (HengLan/CGSTVG) and TA-STVG (HengLan/TA-STVG) add to STCAT's ResNet-101 appearance
features a motion feature map from a Video Swin Transformer (``models/vidswin/
video_swin_transformer.py``, after ReferFormer / MTTR): Swin3D-T (embed 96, depths 2-2-6-2,
heads 3-6-12-24) with a **(1, 4, 4)** patch (no temporal down-sampling: one feature map per
frame), a (8, 7, 7) window and drop-path rate 0.2, Kinetics-400 weights (the (2, 4, 4) patch
kernel summed over time). The forks keep only the per-stage outputs *before* each patch
merging and read stage 4 (``out['3']``: 768 channels, stride 32, the same grid as the
ResNet-101 C5 map); Swin3D's final ``norm`` is dropped, so the output is **not normalised**.

That is mmaction2's ``SwinTransformer3D(arch='tiny', patch_size=(1, 4, 4), window_size=(8, 7,
7), drop_path_rate=0.2, out_indices=(3,))`` with its stage-4 output norm replaced by the
identity (``out_norm=False``); the key map from the forks' ``vid.*`` names is
:func:`mmstvg.models.utils.cgstvg_converter.vidswin_key_to_mmstvg`.

Input, as in the forks: the clip's frames as they enter the ResNet (resized to a 420 short
side, ImageNet mean/std normalised, padded as the image batch), ``(B*T, 3, H, W)``, each
video's ``T`` frames one Swin clip (the forks run batch size 1: the whole frame batch is one
clip; :meth:`VidSwinMotionEncoder.forward_videos` gives each video of a batch its real
frames). The windows span 8 frames, so a frame's feature sees its neighbours in the sampled
clip (3.2 fps on HC-STVG, 64 frames on VidSTG in training).

The forks freeze the branch (``requires_grad=False``) but leave it in the grounder's train
mode (stochastic depth 0.2 active while training); ``eval_when_frozen=True`` keeps it in eval
mode instead (deterministic features). TA-STVG runs it under ``torch.no_grad()``; with frozen
weights and pixel inputs that is the same result and ``frozen=True`` does the same here.
"""
from typing import Optional, Sequence

import torch
from mmengine.model import BaseModule
from torch import nn

from mmstvg.registry import MODELS


@MODELS.register_module()
class VidSwinMotionEncoder(BaseModule):
    """Per-frame motion features from mmaction2's Video Swin Transformer.

    Args:
        arch (str | dict): mmaction2 ``SwinTransformer3D`` arch. Defaults to ``'tiny'``.
        patch_size (Sequence[int]): (t, h, w) patch. Defaults to (1, 4, 4) (one output per
            frame).
        window_size (Sequence[int]): Defaults to (8, 7, 7).
        drop_path_rate (float): Defaults to 0.2 (the forks' value).
        out_stage (int): which stage's output (before its patch merging). Defaults to 3.
        out_norm (bool): apply mmaction2's output LayerNorm of that stage. The forks do not
            (False).
        frozen (bool): no gradients (the forks' setting). Defaults to True.
        eval_when_frozen (bool): keep the frozen backbone in eval mode while the grounder
            trains (no stochastic depth). Defaults to False (the forks' behaviour).
        with_cp (bool): activation checkpointing in the Swin blocks. Defaults to False.
        init_cfg (dict, optional): e.g. ``dict(type='Pretrained', checkpoint=...)``.
    """

    def __init__(self,
                 arch='tiny',
                 patch_size: Sequence[int] = (1, 4, 4),
                 window_size: Sequence[int] = (8, 7, 7),
                 drop_path_rate: float = 0.2,
                 out_stage: int = 3,
                 out_norm: bool = False,
                 frozen: bool = True,
                 eval_when_frozen: bool = False,
                 with_cp: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        from mmaction.models.backbones.swin import SwinTransformer3D
        self.backbone = SwinTransformer3D(
            arch=arch,
            pretrained2d=False,
            patch_size=tuple(patch_size),
            window_size=tuple(window_size),
            drop_path_rate=drop_path_rate,
            with_cp=with_cp,
            out_indices=(out_stage, ),
            out_after_downsample=False)
        if not out_norm:
            setattr(self.backbone, f'norm{out_stage}', nn.Identity())
        self.out_stage = out_stage
        self.out_channels = self.backbone.num_features[out_stage]
        self.frozen = frozen
        self.eval_when_frozen = eval_when_frozen
        if frozen:
            for param in self.backbone.parameters():
                param.requires_grad_(False)

    def train(self, mode: bool = True):
        super().train(mode)
        if self.frozen and self.eval_when_frozen:
            self.backbone.eval()
        return self

    def forward(self, frames: torch.Tensor, clip_len: Optional[int] = None) -> torch.Tensor:
        """Motion feature map of each frame.

        Args:
            frames (Tensor): (B*T, 3, H, W) normalised frames, video-major.
            clip_len (int, optional): T, the frames of one video; defaults to all frames
                (one video, as the forks run).

        Returns:
            Tensor: (B*T, C, ceil(H/32), ceil(W/32)) with C = 768 for Swin-T stage 4.
        """
        n, c, h, w = frames.shape
        t = n if clip_len is None else clip_len
        video = frames.reshape(n // t, t, c, h, w).transpose(1, 2)  # B, 3, T, H, W
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.frozen):
            out = self.backbone(video.contiguous())  # B, C, T, h, w
        return out.transpose(1, 2).flatten(0, 1)

    def forward_videos(self, imgs: torch.Tensor, frame_mask: torch.Tensor) -> torch.Tensor:
        """Motion maps of the real frames of a padded batch, every video's real frames one
        clip (as the forks' one video): the batch in one pass when no frame is padded, else
        video by video.

        Args:
            imgs (Tensor): (B, T, 3, H, W) normalised frames.
            frame_mask (Tensor): (B, T), 1 / True on real frames.

        Returns:
            Tensor: (N, C, h, w), N the real frames, video after video.
        """
        frame_mask = frame_mask.bool()
        if bool(frame_mask.all()):
            return self(imgs.flatten(0, 1), frame_mask.shape[1])
        return torch.cat([self(video[mask]) for video, mask in zip(imgs, frame_mask)])
