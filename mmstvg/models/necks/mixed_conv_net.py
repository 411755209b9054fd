"""GKCMN's mixed serial and parallel convolutional network (§2.2, Eqs. 2-4).

    serial    M_ser = K3 ⊗ reshape'(K2 ⊗ reshape(F))          (Eq. 2: 2-D per frame, then 3-D)
    parallel  M_par = K3 ⊗ F + reshape'(K2 ⊗ reshape(F))      (Eq. 3: 3-D and 2-D side by side)
    mixed     M_mix = K3 ⊗ F + M_ser + F                       (Eq. 4)

Eq. 4 is implemented as written (``parallel_form='eq4'``, the default): the text calls it a
"triple-parallel structure" that fuses "the original feature maps F_f2, serial features M_ser
and temporal residual features M^3", i.e. three terms, the third a 3-D convolution of F beside
the serial path. Table 3's ablations ("the removal of the serial connection, the parallel
connection, the complete mixed convolutional network") then remove one term each:

- full:                    out = K3 ⊗ F + M_ser + F
- ``use_serial=False``    ("w/o SC"): out = K3 ⊗ F + F
- ``use_parallel=False``  ("w/o PC"): out = M_ser + F
- ``use_mixed=False``     ("w/o MN"): the identity (no parameters; in the grounder
  ``mixed_conv=None`` does the same).

``parallel_form='eq3'`` keeps the earlier reading, where the ``K3 ⊗ F`` term of Eq. 4 is the
whole parallel connection of Eq. 3 (with its extra per-frame 2-D path):
``out = M_par + M_ser + F``. It is not what Eq. 4 says; it is kept for comparison.

Each ``K`` is an mmcv ``ConvModule`` (conv + norm + activation), the last one of each path
without activation, so the sum stays a residual update. ``num_blocks`` such blocks are
stacked (1 by default; the paper shows one).
"""
from typing import Optional

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule

from mmstvg.registry import MODELS

PARALLEL_FORMS = ('eq4', 'eq3')


class _Block(nn.Module):
    """One mixed block (see module docstring)."""

    def __init__(self, channels, k2, k3, use_serial, use_parallel, parallel_form, norm_cfg,
                 act_cfg):
        super().__init__()

        def conv2d(act=True):
            return ConvModule(
                channels,
                channels,
                k2,
                padding=k2 // 2,
                norm_cfg=dict(type='BN'),
                act_cfg=act_cfg if act else None)

        def conv3d(act=True):
            return ConvModule(
                channels,
                channels,
                k3,
                padding=k3 // 2,
                conv_cfg=dict(type='Conv3d'),
                norm_cfg=norm_cfg,
                act_cfg=act_cfg if act else None)

        self.serial_2d = conv2d() if use_serial else None
        self.serial_3d = conv3d(act=False) if use_serial else None
        self.parallel_3d = conv3d(act=False) if use_parallel else None
        self.parallel_2d = conv2d(act=False) if use_parallel and parallel_form == 'eq3' \
            else None

    @staticmethod
    def per_frame(conv, x):
        """2-D conv on every frame: (B, C, T, h, w) -> reshape -> conv -> reshape'."""
        b, c, t, h, w = x.shape
        y = conv(x.transpose(1, 2).reshape(b * t, c, h, w))
        return y.view(b, t, c, h, w).transpose(1, 2)

    def forward(self, x):
        out = x  # F
        if self.serial_3d is not None:
            out = out + self.serial_3d(self.per_frame(self.serial_2d, x))  # M_ser (Eq. 2)
        if self.parallel_3d is not None:
            out = out + self.parallel_3d(x)  # K3 ⊗ F (Eq. 4)
        if self.parallel_2d is not None:
            out = out + self.per_frame(self.parallel_2d, x)  # Eq. 3's 2-D path
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
        parallel_form (str): ``'eq4'`` (Eq. 4 as written: the parallel term is ``K3 ⊗ F``)
            or ``'eq3'`` (the whole Eq. 3, ``K3 ⊗ F`` plus a per-frame ``K2`` path).
            Defaults to ``'eq4'``.
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
                 parallel_form: str = 'eq4',
                 norm_cfg: dict = dict(type='BN3d'),
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if parallel_form not in PARALLEL_FORMS:
            raise ValueError(f'parallel_form must be one of {PARALLEL_FORMS}, '
                             f'got {parallel_form!r}')
        self.parallel_form = parallel_form
        enabled = use_mixed and (use_serial or use_parallel)
        self.blocks = nn.ModuleList(
            _Block(in_channels, kernel_size_2d, kernel_size_3d, use_serial, use_parallel,
                   parallel_form, norm_cfg, act_cfg) for _ in range(num_blocks if enabled else 0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, T, h, w) -> (B, C, T, h, w)."""
        for block in self.blocks:
            x = block(x)
        return x
