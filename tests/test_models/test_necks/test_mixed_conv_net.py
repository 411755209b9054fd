"""MixedConvNet (GKCMN §2.2, Eqs. 2-4): Eq. 4 as written, each ablation switch removes the
term it names, the Eq. 3 reading as an option."""
import math

import pytest
import torch

from mmstvg.models.necks import MixedConvNet


def _x():
    torch.manual_seed(0)
    return torch.randn(2, 4, 5, 3, 3)


def _set_weights(net, **weights):
    """1-channel, kernel-1 convs of the first block set to the given scalars (no bias)."""
    block = net.blocks[0]
    for name, value in weights.items():
        conv = getattr(block, name).conv
        assert conv.bias is None  # ConvModule drops the bias before a norm
        conv.weight.data.fill_(value)


def test_eq4_by_hand():
    """1 channel, 1x1(x1) kernels, fresh BN in eval mode (y = x / sqrt(1 + 1e-5) =: s x):
    K3 ⊗ F = s a x, M_ser = s c relu(s b x), so Eq. 4 gives x + s a x + s c relu(s b x)."""
    s = 1 / math.sqrt(1 + 1e-5)
    a, b, c = 2.0, 3.0, 0.5
    x = torch.tensor([2.0, -1.0]).view(1, 1, 2, 1, 1)  # (B, C, T, h, w)

    def eq4(v, serial=True, parallel=True):
        return v + (s * a * v if parallel else 0) + \
            (s * c * max(s * b * v, 0.0) if serial else 0)

    full = MixedConvNet(1, kernel_size_2d=1, kernel_size_3d=1).eval()
    assert full.blocks[0].parallel_2d is None  # Eq. 4 has no per-frame 2-D parallel path
    _set_weights(full, parallel_3d=a, serial_2d=b, serial_3d=c)
    with torch.no_grad():
        y = full(x).flatten().tolist()
    assert y == pytest.approx([eq4(2.0), eq4(-1.0)], rel=1e-6)
    assert y[0] == pytest.approx(2 + 4 * s + 3 * s * s, rel=1e-6)  # 2 + 2as + c s (3 * 2 s)

    wo_sc = MixedConvNet(1, kernel_size_2d=1, kernel_size_3d=1, use_serial=False).eval()
    assert wo_sc.blocks[0].serial_2d is None and wo_sc.blocks[0].serial_3d is None
    _set_weights(wo_sc, parallel_3d=a)
    with torch.no_grad():  # "w/o SC": K3 ⊗ F + F
        assert wo_sc(x).flatten().tolist() == pytest.approx(
            [eq4(2.0, serial=False), eq4(-1.0, serial=False)], rel=1e-6)

    wo_pc = MixedConvNet(1, kernel_size_2d=1, kernel_size_3d=1, use_parallel=False).eval()
    assert wo_pc.blocks[0].parallel_3d is None and wo_pc.blocks[0].parallel_2d is None
    _set_weights(wo_pc, serial_2d=b, serial_3d=c)
    with torch.no_grad():  # "w/o PC": M_ser + F
        assert wo_pc(x).flatten().tolist() == pytest.approx(
            [eq4(2.0, parallel=False), eq4(-1.0, parallel=False)], rel=1e-6)

    # the Eq. 3 reading (named option) adds the per-frame 2-D path d: + s d x
    eq3 = MixedConvNet(1, kernel_size_2d=1, kernel_size_3d=1, parallel_form='eq3').eval()
    _set_weights(eq3, parallel_3d=a, serial_2d=b, serial_3d=c, parallel_2d=-4.0)
    with torch.no_grad():
        assert eq3(x).flatten().tolist() == pytest.approx(
            [eq4(2.0) - 4 * s * 2.0, eq4(-1.0) + 4 * s], rel=1e-6)
    with pytest.raises(ValueError, match='parallel_form'):
        MixedConvNet(1, parallel_form='eq5')


def test_full_and_switches():
    full = MixedConvNet(4).eval()
    block = full.blocks[0]
    assert block.serial_2d is not None and block.parallel_3d is not None
    x = _x()
    y = full(x)
    assert y.shape == x.shape
    # the full block = x + K3 ⊗ x + serial, each computed on its own
    with torch.no_grad():
        ser = block.serial_3d(block.per_frame(block.serial_2d, x))
        par = block.parallel_3d(x)
    torch.testing.assert_close(y, x + ser + par)
    wo_mn = MixedConvNet(4, use_mixed=False)
    assert len(list(wo_mn.parameters())) == 0 and wo_mn(x) is x


def test_frames_interact_through_3d_convs_and_training():
    net = MixedConvNet(4).eval()
    x = _x()
    x2 = x.clone()
    x2[:, :, 0] += 1
    assert not torch.allclose(net(x)[:, :, 1], net(x2)[:, :, 1])  # temporal kernel 3
    assert torch.allclose(net(x)[:, :, 4], net(x2)[:, :, 4])  # beyond its reach
    net.train()
    optim = torch.optim.Adam(net.parameters(), lr=1e-2)
    target = torch.randn_like(x)
    losses = []
    for _ in range(8):
        loss = (net(x) - target).pow(2).mean()
        optim.zero_grad()
        loss.backward()
        optim.step()
        losses.append(float(loss))
    assert losses[-1] < losses[0]
