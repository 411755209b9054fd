"""Fused attention kernels vs the float64 reference (CPU: Triton interpreter; GPU when lent).

Covered: odd sizes (non power of two lengths and head dims), key-padding masks, rows whose
keys are all padded (zeros, no NaN), the head-averaged probabilities and their gradients, the
pooled (STCMT) attention, low precision on GPU, and the fallback warning.
"""
import warnings

import pytest
import torch

pytest.importorskip('triton')

# isort: off
from mmstvg.ops import attention, attention_ref, fused_available  # noqa: E402
from mmstvg.ops import pooled_attention, pooled_attention_ref  # noqa: E402
# isort: on

DEVICE = 'cuda' if torch.cuda.is_available() else 'cpu'
if not fused_available(torch.empty(0, device=DEVICE)):
    pytest.skip(
        'Triton cannot run here (no CUDA and TRITON_INTERPRET unset)', allow_module_level=True)


def _inputs(b, h, lq, lk, d, dtype=torch.float32, seed=0):
    g = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(b, h, n, d, generator=g, dtype=torch.float64) for n in (lq, lk, lk))
    mask = torch.rand(b, lk, generator=g) < 0.3
    mask[0, :] = False  # sample 0: no padding
    if b > 2:
        mask[2, :] = True  # sample 2: every key padded
    return q, k, v, mask


def _ref_and_fused(q, k, v, mask, dtype, return_probs):
    ref_in = [t.clone().requires_grad_() for t in (q, k, v)]
    out_r, probs_r = attention_ref(*ref_in, key_padding_mask=mask, return_probs=return_probs)
    fused_in = [t.to(DEVICE, dtype).clone().requires_grad_() for t in (q, k, v)]
    out_f, probs_f = attention(
        *fused_in, key_padding_mask=mask.to(DEVICE), impl='fused', need_weights=return_probs)
    return ref_in, out_r, probs_r, fused_in, out_f, probs_f


@pytest.mark.parametrize('shape', [(3, 2, 37, 29, 24), (2, 3, 1, 70, 16), (3, 1, 20, 5, 40)])
@pytest.mark.parametrize('return_probs', [False, True])
def test_flash_attention_matches_reference(shape, return_probs):
    q, k, v, mask = _inputs(*shape)
    ref_in, out_r, probs_r, fused_in, out_f, probs_f = _ref_and_fused(
        q, k, v, mask, torch.float32, return_probs)
    assert out_f.shape == out_r.shape
    assert torch.isfinite(out_f).all()
    torch.testing.assert_close(out_f.double().cpu(), out_r, atol=1e-4, rtol=1e-4)
    if shape[0] > 2:  # fully padded sample: zero output
        assert out_f[2].abs().max() == 0
    g = torch.Generator().manual_seed(1)
    grad_out = torch.randn(out_r.shape, generator=g, dtype=torch.float64)
    loss_r = (out_r * grad_out).sum()
    loss_f = (out_f * grad_out.to(DEVICE, out_f.dtype)).sum()
    if return_probs:
        assert probs_f.shape == (shape[0], shape[2], shape[3])
        torch.testing.assert_close(probs_f.double().cpu(), probs_r, atol=1e-5, rtol=1e-4)
        grad_p = torch.randn(probs_r.shape, generator=g, dtype=torch.float64)
        loss_r = loss_r + (probs_r * grad_p).sum()
        loss_f = loss_f + (probs_f * grad_p.to(DEVICE, probs_f.dtype)).sum()
    loss_r.backward()
    loss_f.backward()
    for name, a, b in zip('qkv', fused_in, ref_in):
        assert torch.isfinite(a.grad).all(), name
        torch.testing.assert_close(
            a.grad.double().cpu(), b.grad, atol=2e-4, rtol=2e-4, msg=lambda m: f'd{name}: {m}')


def test_flash_attention_without_mask():
    q, k, v, _ = _inputs(2, 2, 17, 33, 32)
    out_r, _ = attention_ref(q, k, v)
    out_f, _ = attention(*(t.to(DEVICE, torch.float32) for t in (q, k, v)), impl='fused')
    torch.testing.assert_close(out_f.double().cpu(), out_r, atol=1e-4, rtol=1e-4)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='half precision needs a GPU')
@pytest.mark.parametrize('dtype,tol', [(torch.float16, 2e-3), (torch.bfloat16, 2e-2)])
def test_flash_attention_low_precision(dtype, tol):
    q, k, v, mask = _inputs(3, 4, 130, 77, 32)
    ref_in, out_r, probs_r, fused_in, out_f, probs_f = _ref_and_fused(q, k, v, mask, dtype, True)
    torch.testing.assert_close(out_f.double().cpu(), out_r, atol=tol, rtol=tol)
    torch.testing.assert_close(probs_f.double().cpu(), probs_r, atol=tol, rtol=tol)
    out_f.float().sum().backward()
    out_r.sum().backward()
    for a, b in zip(fused_in, ref_in):
        torch.testing.assert_close(a.grad.double().cpu(), b.grad, atol=10 * tol, rtol=10 * tol)


def _pooled_inputs(b=3, h=2, n=7, t=6, s=19, c=24, seed=0):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(b, h, n, c, generator=g, dtype=torch.float64)
    x = torch.randn(b, t, s, c, generator=g, dtype=torch.float64)
    smask = torch.rand(b, s, generator=g) < 0.3
    smask[0] = False
    kpm = torch.rand(b, t, generator=g) < 0.3
    kpm[0] = False
    kpm[2] = True  # sample 2: every frame padded -> zeros
    return q, x, smask, kpm


def test_pooled_attention_matches_reference():
    q, x, smask, kpm = _pooled_inputs()
    qr, xr = q.clone().requires_grad_(), x.clone().requires_grad_()
    ref = pooled_attention_ref(qr, xr, smask, kpm, scale=0.2)
    qf = q.to(DEVICE, torch.float32).requires_grad_()
    xf = x.to(DEVICE, torch.float32).requires_grad_()
    out = pooled_attention(qf, xf, smask.to(DEVICE), kpm.to(DEVICE), scale=0.2, impl='fused')
    assert torch.isfinite(out).all()
    assert out[2].abs().max() == 0
    torch.testing.assert_close(out.double().cpu(), ref, atol=1e-5, rtol=1e-4)
    g = torch.randn(ref.shape, dtype=torch.float64)
    (ref * g).sum().backward()
    (out * g.to(DEVICE, out.dtype)).sum().backward()
    torch.testing.assert_close(qf.grad.double().cpu(), qr.grad, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(xf.grad.double().cpu(), xr.grad, atol=1e-5, rtol=1e-4)
    # padded spatial positions receive no gradient
    assert xf.grad[1][:, smask[1].to(DEVICE)].abs().max() == 0


def test_impls_agree():
    q, k, v, mask = _inputs(2, 2, 9, 13, 8)
    outs = {impl: attention(q, k, v, mask, impl=impl)[0] for impl in ('naive', 'sdpa')}
    torch.testing.assert_close(outs['naive'], outs['sdpa'])
    with pytest.raises(ValueError, match='attn_impl'):
        attention(q, k, v, impl='flash')


def test_fused_falls_back_with_one_warning(monkeypatch):
    import mmstvg.ops.functional as ops_attention
    monkeypatch.setattr(ops_attention, '_WARNED', set())
    monkeypatch.setattr(ops_attention, 'fused_available', lambda t: False)
    q, k, v, mask = _inputs(2, 2, 5, 6, 8)
    with pytest.warns(RuntimeWarning, match="falling back to 'sdpa'"):
        out, _ = attention(q, k, v, mask, impl='fused')
    torch.testing.assert_close(out, attention_ref(q, k, v, mask)[0])
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        attention(q, k, v, mask, impl='fused')  # second call: no warning
