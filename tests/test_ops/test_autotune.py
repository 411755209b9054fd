"""Block-size autotuning of the fused kernels: the pruning of tile configs to the problem's
sizes, one config only in Triton's interpreter (no timing on CPU), and the fixed-tile path
(``MMSTVG_AUTOTUNE=0``) computing the same attention."""
import pytest
import torch

triton = pytest.importorskip('triton')

from mmstvg.ops import attention, attention_ref, fused_available  # noqa: E402

if not fused_available(torch.empty(0, device='cuda' if torch.cuda.is_available() else 'cpu')):
    pytest.skip('Triton cannot run here', allow_module_level=True)

from mmstvg.ops import triton_attention as ta  # noqa: E402

NAMES, LENGTHS = ('BLOCK_M', 'BLOCK_N'), ('LQ', 'LK')


def _tiles(configs):
    return sorted((c.kwargs['BLOCK_M'], c.kwargs['BLOCK_N']) for c in configs)


def _all(tiles):
    return [
        triton.Config(dict(BLOCK_M=a, BLOCK_N=b), num_warps=w, num_stages=s)
        for a, b, w, s in tiles
    ]


def test_prune_keeps_the_tiles_that_fit():
    prune = ta._prune(NAMES, LENGTHS, 'D')
    full = _all(ta._ATTN_TILES)
    # one query (decoder / SDIB cross-attention) over 81 keys: nothing left to time
    assert _tiles(prune(full, dict(LQ=1, LK=81, D=32))) == [(16, 64)]
    # STCMT video->text: 32 keys
    assert _tiles(prune(full, dict(LQ=9408, LK=32, D=32))) == [(32, 32), (64, 32)]
    # STCMT temporal (48 x 48): tiles of 32 to 64
    assert _tiles(prune(full, dict(LQ=48, LK=48, D=32))) == [(32, 32), (64, 32), (64, 64)]
    # STCMT spatial (196 x 196)
    assert _tiles(prune(full, dict(LQ=196, LK=196, D=32))) == [(32, 32), (64, 32), (64, 64),
                                                               (128, 64)]
    # head dim 80 -> 128-wide tiles: no 128-long tile (shared memory)
    assert _tiles(prune(full, dict(LQ=500, LK=500, D=80))) == [(32, 32), (64, 32), (64, 64)]
    # nothing fits: the smallest tile stays
    big = _all([(128, 64, 8, 2), (64, 64, 4, 2)])
    assert _tiles(prune(big, dict(LQ=1, LK=1, D=16))) == [(64, 64)]
    # duplicates are timed once
    dup = _all([(16, 16, 2, 2), (16, 16, 2, 2)])
    assert len(prune(dup, dict(LQ=8, LK=8, D=16))) == 1
    # the pooled kernel: 32 text tokens, 196 positions per frame of 256 channels (so no
    # 128-position tile)
    pool = ta._prune(
        ('BLOCK_L', 'BLOCK_S'), ('L', 'S'),
        'C')([triton.Config(dict(BLOCK_L=a, BLOCK_S=b)) for a, b, _, _ in ta._POOL_TILES],
             dict(L=32, S=196, C=256))
    assert sorted((c.kwargs['BLOCK_L'], c.kwargs['BLOCK_S']) for c in pool) == [(16, 64), (32, 32),
                                                                                (32, 64)]


def test_interpreter_runs_one_config_and_the_gpu_several(monkeypatch):
    kernels = (ta._fwd_tuned, ta._bwd_kv_tuned, ta._bwd_q_tuned, ta._pooled_fwd_tuned)
    assert all(isinstance(k, triton.runtime.Autotuner) for k in kernels)
    assert ta._fwd_tuned.keys == ['LQ', 'LK', 'D']
    assert ta._pooled_fwd_tuned.keys == ['L', 'S', 'C']
    if ta.INTERPRET:
        assert all(len(k.configs) == 1 for k in kernels)
    monkeypatch.setattr(ta, 'INTERPRET', False)
    assert len(ta._configs(ta._ATTN_TILES, NAMES)) == len(ta._ATTN_TILES) > 1
    monkeypatch.setattr(ta, 'INTERPRET', True)
    assert _tiles(ta._configs(ta._ATTN_TILES, NAMES)) == [ta._ATTN_TILES[0][:2]]


@pytest.mark.parametrize('autotune', [True, False])
def test_fixed_and_tuned_tiles_match_the_reference(monkeypatch, autotune):
    monkeypatch.setattr(ta, 'AUTOTUNE', autotune)
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    g = torch.Generator().manual_seed(3)
    q, k, v = (torch.randn(2, 2, n, 24, generator=g, dtype=torch.float64) for n in (19, 40, 40))
    mask = torch.rand(2, 40, generator=g) < 0.3
    ref, probs_ref = attention_ref(q, k, v, mask, return_probs=True)
    fin = [t.to(device, torch.float32).requires_grad_() for t in (q, k, v)]
    out, probs = attention(*fin, key_padding_mask=mask.to(device), impl='fused', need_weights=True)
    torch.testing.assert_close(out.double().cpu(), ref, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(probs.double().cpu(), probs_ref, atol=1e-5, rtol=1e-4)
    (out.sum() + probs.sum()).backward()
    qr = q.clone().requires_grad_()
    o_r, p_r = attention_ref(qr, k, v, mask, return_probs=True)
    (o_r.sum() + p_r.sum()).backward()
    torch.testing.assert_close(fin[0].grad.double().cpu(), qr.grad, atol=2e-4, rtol=2e-4)
