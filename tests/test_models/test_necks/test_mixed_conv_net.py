"""MixedConvNet (GKCMN §2.2, Eqs. 2-4): each ablation switch removes what it names."""
import torch

from mmstvg.models.necks import MixedConvNet


def _x():
    torch.manual_seed(0)
    return torch.randn(2, 4, 5, 3, 3)


def test_full_and_switches():
    full = MixedConvNet(4).eval()
    block = full.blocks[0]
    assert block.serial_2d is not None and block.parallel_3d is not None
    x = _x()
    y = full(x)
    assert y.shape == x.shape
    # the full block = x + serial + parallel, each computed on its own
    with torch.no_grad():
        ser = block.serial_3d(block.per_frame(block.serial_2d, x))
        par = block.parallel_3d(x) + block.per_frame(block.parallel_2d, x)
    torch.testing.assert_close(y, x + ser + par)
    wo_sc = MixedConvNet(4, use_serial=False).eval()
    assert wo_sc.blocks[0].serial_2d is None and wo_sc.blocks[0].serial_3d is None
    wo_sc.blocks[0].parallel_3d.load_state_dict(block.parallel_3d.state_dict())
    wo_sc.blocks[0].parallel_2d.load_state_dict(block.parallel_2d.state_dict())
    torch.testing.assert_close(wo_sc(x), x + par)
    wo_pc = MixedConvNet(4, use_parallel=False).eval()
    assert wo_pc.blocks[0].parallel_3d is None and wo_pc.blocks[0].parallel_2d is None
    wo_mn = MixedConvNet(4, use_mixed=False)
    assert len(list(wo_mn.parameters())) == 0 and wo_mn(x) is x


def test_frames_interact_through_3d_convs_and_training():
    net = MixedConvNet(4).eval()
    x = _x()
    x2 = x.clone()
    x2[:, :, 0] += 1
    assert not torch.allclose(net(x)[:, :, 1], net(x2)[:, :, 1])  # temporal kernel 3
    assert torch.allclose(net(x)[:, :, 4], net(x2)[:, :, 4])       # beyond its reach
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
