"""GKCMN's mixed serial and parallel convolutional network (§2.2, Eqs. 2-4).

    serial    M_ser = K3 ⊗ reshape'(K2 ⊗ reshape(F))          (2-D per frame, then 3-D)
    parallel  M_par = K3 ⊗ F + reshape'(K2 ⊗ reshape(F))      (3-D and 2-D side by side)
    mixed     M_mix = K3 ⊗ F + M_ser + F                       (Eq. 4)

The paper's Fig. 2 is not available. This module reads Eq. 4 as the full block, with the
``K3 ⊗ F`` term being the parallel connection (Eq. 3, i.e. including its 2-D path), so that
Table 3's ablations remove one term each:

- full:                    out = M_par + M_ser + F
- ``use_serial=False``    ("w/o SC"): out = M_par + F
- ``use_parallel=False``  ("w/o PC"): out = M_ser + F
- ``use_mixed=False``     ("w/o MN"): the identity (no parameters; in the grounder
  ``mixed_conv=None`` does the same).

Each ``K`` is an mmcv ``ConvModule`` (conv + norm + activation), the last one of each path
without activation, so the sum stays a residual update.
"""
from typing import Optional

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule

from mmstvg.registry import MODELS


class _Block(nn.Module):
    """One mixed block (see module docstring)."""

    def __init__(self, channels, k2, k3, use_serial, use_parallel, norm_cfg, act_cfg):
        super().__init__()

        def conv2d(act=True):
            return ConvModule(channels, channels, k2, padding=k2 // 2,
                              norm_cfg=dict(type='BN'), act_cfg=act_cfg if act else None)

        def conv3d(act=True):
            return ConvModule(channels, channels, k3, padding=k3 // 2,
                              conv_cfg=dict(type='Conv3d'), norm_cfg=norm_cfg,
                              act_cfg=act_cfg if act else None)

        self.serial_2d = conv2d() if use_serial else None
        self.serial_3d = conv3d(act=False) if use_serial else None
        self.parallel_3d = conv3d(act=False) if use_parallel else None
        self.parallel_2d = conv2d(act=False) if use_parallel else None

    @staticmethod
    def per_frame(conv, x):
        """2-D conv on every frame: (B, C, T, h, w) -> reshape -> conv -> reshape'."""
        b, c, t, h, w = x.shape
        y = conv(x.transpose(1, 2).reshape(b * t, c, h, w))
        return y.view(b, t, c, h, w).transpose(1, 2)

    def forward(self, x):
        out = x
        if self.serial_3d is not None:
            out = out + self.serial_3d(self.per_frame(self.serial_2d, x))        # Eq. 2
        if self.parallel_3d is not None:
            out = out + self.parallel_3d(x) + self.per_frame(self.parallel_2d, x)  # Eq. 3
        return out


@MODELS.register_module()
class MixedConvNet(BaseModule):
    """Mixed serial/parallel convolutional network.

    Args:
        in_channels (int): channels of F_f2 (kept).
        num_blocks (int): stacked blocks. Defaults to 1.
        kernel_size_2d (int): spatial kernel of K2. Defaults to 3.
        kernel_size_3d (int): kernel of K3 (t, y, x). Defaults to 3.
        use_serial (bool): the serial connection ("w/o SC" = False).
        use_parallel (bool): the parallel connection ("w/o PC" = False).
        use_mixed (bool): the whole network ("w/o MN" = False: identity).
        norm_cfg (dict): norm of the 3-D convs. Defaults to BN3d.
        act_cfg (dict): activation. Defaults to ReLU.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 num_blocks: int = 1,
                 kernel_size_2d: int = 3,
                 kernel_size_3d: int = 3,
                 use_serial: bool = True,
                 use_parallel: bool = True,
                 use_mixed: bool = True,
                 norm_cfg: dict = dict(type='BN3d'),
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        enabled = use_mixed and (use_serial or use_parallel)
        self.blocks = nn.ModuleList(
            _Block(in_channels, kernel_size_2d, kernel_size_3d, use_serial, use_parallel,
                   norm_cfg, act_cfg) for _ in range(num_blocks if enabled else 0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, T, h, w) -> (B, C, T, h, w)."""
        for block in self.blocks:
            x = block(x)
        return x
