"""Triton kernels of the fused attention ops (compiled for CUDA; on CPU they run through
Triton's interpreter, ``TRITON_INTERPRET=1``, which is how CI tests them).

Import this module only through :mod:`mmstvg.ops.functional`, which imports it lazily: the
interpreter is chosen when ``@triton.jit`` runs, i.e. at import time.

1. :func:`flash_attention` — FlashAttention-2 style forward (online softmax over key blocks,
   never writing the ``(B, H, Lq, Lk)`` score matrix) and backward (recomputes the
   probabilities from the saved log-sum-exp), with a key-padding mask. With
   ``return_probs=True`` a third kernel writes the head-averaged probabilities
   ``(B, Lq, Lk)`` (what the SDIB needs from the static decoder) by recomputing each head's
   scores tile by tile from the saved log-sum-exp; they are differentiable: their gradient
   enters the backward kernels as an extra ``dP / H`` term and a row correction.
2. :func:`pooled_attention` — STCMT's text-to-video cross-attention (Eq. 1) whose keys and
   values are the spatial means of the frames: the kernel pools each frame's positions while
   it streams them, so the pooled video is never written out. Its backward recomputes through
   the reference (only ``(B, T, C)`` and ``(B, H, L, T)`` tensors).

Both accumulate in float32 whatever the input precision (fp32/fp16/bf16). Fully masked query
rows give zeros (see :mod:`mmstvg.ops.reference`).

Block sizes: on a GPU the forward, the two backward kernels and the pooled kernel are
autotuned (``triton.autotune``) over a few tile shapes, keyed on the sequence lengths and the
head dim (the dtype is part of Triton's key); configs larger than the problem are pruned
before timing. Triton's interpreter gets only the first config of each list (no timing on
CPU). ``MMSTVG_AUTOTUNE=0`` (read at import) launches every kernel with the fixed size
heuristic of :func:`_blocks` instead; ``.dev_scripts/gpu_check`` times both.
"""
import os
from typing import List, Optional, Tuple

import torch
import triton
import triton.language as tl

from .reference import pooled_attention_ref

LOG2E = 1.4426950408889634
INTERPRET = os.environ.get('TRITON_INTERPRET', '0') not in ('', '0')
AUTOTUNE = os.environ.get('MMSTVG_AUTOTUNE', '1') not in ('', '0')


def _block_d(d: int) -> int:
    return max(16, triton.next_power_of_2(d))


def _cap(n: int) -> int:
    """Largest useful tile along a length ``n``: its next power of two (at least 16)."""
    return max(16, triton.next_power_of_2(n))


def _configs(tiles: List[Tuple[int, int, int, int]], names: Tuple[str,
                                                                  str]) -> List[triton.Config]:
    """``triton.Config`` per ``(block_a, block_b, num_warps, num_stages)``; the interpreter
    keeps the first one only, so it never times configs."""
    cfgs = [
        triton.Config({
            names[0]: a,
            names[1]: b
        }, num_warps=w, num_stages=st) for a, b, w, st in tiles
    ]
    return cfgs[:1] if INTERPRET else cfgs


def _prune(names: Tuple[str, str], lengths: Tuple[str, str], big_d: str):
    """``early_config_prune`` keeping the tiles that fit the problem: each side at most the
    length's next power of two and at least half of that, or 32 (fewer configs to compile and
    time); no 128-long tile when the head dim / channels exceed 64 (shared memory). The
    smallest tile stays when none fits."""

    def prune(configs, nargs, **kwargs):
        args = dict(nargs, **kwargs)
        caps = [_cap(int(args[n])) for n in lengths]
        wide = int(args[big_d]) > 64
        keep = [
            c for c in configs
            if all(min(cap // 2, 32) <= c.kwargs[k] <= cap
                   for k, cap in zip(names, caps)) and not (wide and max(c.kwargs[k]
                                                                         for k in names) > 64)
        ]
        if not keep:
            smallest = min(
                configs, key=lambda c: (c.kwargs[names[0]] * c.kwargs[names[1]], c.num_warps))
            keep = [smallest]
        # identical tiles after capping would be timed twice: keep one of each
        seen, out = set(), []
        for c in keep:
            sig = (tuple(c.kwargs[k] for k in names), c.num_warps, c.num_stages)
            if sig not in seen:
                seen.add(sig)
                out.append(c)
        return out

    return prune


def _autotune(tiles, names, lengths, big_d):
    """``triton.autotune`` over ``tiles`` keyed on ``lengths`` and ``big_d``."""
    return triton.autotune(
        configs=_configs(tiles, names),
        key=list(lengths) + [big_d],
        prune_configs_by=dict(early_config_prune=_prune(names, lengths, big_d)))


# (BLOCK_M, BLOCK_N, num_warps, num_stages); the first is the interpreter's
_ATTN_TILES = [(64, 64, 4, 2), (128, 64, 8, 2), (64, 32, 4, 3), (32, 32, 4, 2), (16, 64, 4, 2),
               (16, 16, 2, 2)]
_KV_TILES = [(64, 64, 4, 2), (64, 128, 8, 2), (32, 64, 4, 3), (32, 32, 4, 2), (16, 64, 4, 2),
             (16, 16, 2, 2)]
# (BLOCK_L, BLOCK_S, num_warps, num_stages)
_POOL_TILES = [(32, 32, 4, 2), (32, 64, 4, 2), (32, 128, 8, 2), (16, 64, 4, 2), (16, 16, 2, 2)]


@triton.jit
def _tile(X, bh, rows, offs_d, N, D):
    """Load rows ``rows`` of the (N, D) matrix of head ``bh``; returns (tile, offsets, mask)."""
    off = bh * N * D + rows[:, None] * D + offs_d[None, :]
    ok = (rows < N)[:, None] & (offs_d < D)[None, :]
    return tl.load(X + off, mask=ok, other=0.0), off, ok


@triton.jit
def _valid_keys(KPM, b, cols, LK, HAS_MASK: tl.constexpr):
    """Keys that exist and are not padded."""
    valid = cols < LK
    if HAS_MASK:
        valid = valid & (tl.load(KPM + b * LK + cols, mask=cols < LK, other=1) == 0)
    return valid


@triton.jit
def _scores(q, k, valid, qk_scale, PRECISION: tl.constexpr):
    """(M, N) scores in log2 units, -inf at invalid keys."""
    s = tl.dot(q, tl.trans(k), input_precision=PRECISION) * qk_scale
    return tl.where(valid[None, :], s, float('-inf'))


@triton.jit
def _probs_grad(DP, b, rows, cols, LQ, LK, H):
    """(M, N) tile of the head-averaged probabilities' gradient, divided by H."""
    ok = (rows < LQ)[:, None] & (cols < LK)[None, :]
    return tl.load(
        DP + b * LQ * LK + rows[:, None] * LK + cols[None, :], mask=ok, other=0.0).to(
            tl.float32) / H


@triton.jit
def _fwd_kernel(Q, K, V, KPM, OUT, LSE, qk_scale, H, LQ, LK, D, HAS_MASK: tl.constexpr,
                PRECISION: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
                BLOCK_D: tl.constexpr):
    bh = tl.program_id(1)
    b = bh // H
    rows = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, BLOCK_D)
    q, q_off, q_ok = _tile(Q, bh, rows, offs_d, LQ, D)
    m_i = tl.full([BLOCK_M], float('-inf'), tl.float32)
    l_i = tl.zeros([BLOCK_M], tl.float32)
    acc = tl.zeros([BLOCK_M, BLOCK_D], tl.float32)
    for start_n in range(0, LK, BLOCK_N):
        cols = start_n + offs_n
        k, _, _ = _tile(K, bh, cols, offs_d, LK, D)
        s = _scores(q, k, _valid_keys(KPM, b, cols, LK, HAS_MASK), qk_scale, PRECISION)
        m_new = tl.maximum(m_i, tl.max(s, 1))
        m_safe = tl.where(m_new == float('-inf'), 0.0, m_new)
        p = tl.math.exp2(s - m_safe[:, None])
        alpha = tl.math.exp2(m_i - m_safe)
        l_i = l_i * alpha + tl.sum(p, 1)
        v, _, _ = _tile(V, bh, cols, offs_d, LK, D)
        acc = acc * alpha[:, None] + tl.dot(p.to(v.dtype), v, input_precision=PRECISION)
        m_i = m_new
    empty = l_i == 0.0
    l_safe = tl.where(empty, 1.0, l_i)
    # +inf for rows without keys: exp2(s - lse) is then 0 in every recomputation
    lse = tl.where(empty, float('inf'), m_i + tl.math.log2(l_safe))
    tl.store(OUT + q_off, (acc / l_safe[:, None]).to(OUT.dtype.element_ty), mask=q_ok)
    tl.store(LSE + bh * LQ + rows, lse, mask=rows < LQ)


@triton.jit
def _probs_kernel(Q, K, KPM, LSE, P, qk_scale, H, LQ, LK, D, HAS_MASK: tl.constexpr,
                  PRECISION: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
                  BLOCK_D: tl.constexpr):
    """Head-averaged probabilities of one (query block, key block) tile of one sample."""
    rows = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    cols = tl.program_id(1) * BLOCK_N + tl.arange(0, BLOCK_N)
    b = tl.program_id(2)
    offs_d = tl.arange(0, BLOCK_D)
    valid = _valid_keys(KPM, b, cols, LK, HAS_MASK)
    acc = tl.zeros([BLOCK_M, BLOCK_N], tl.float32)
    for h in range(0, H):
        bh = b * H + h
        q, _, _ = _tile(Q, bh, rows, offs_d, LQ, D)
        k, _, _ = _tile(K, bh, cols, offs_d, LK, D)
        lse = tl.load(LSE + bh * LQ + rows, mask=rows < LQ, other=float('inf'))
        acc += tl.math.exp2(_scores(q, k, valid, qk_scale, PRECISION) - lse[:, None])
    tl.store(
        P + b * LQ * LK + rows[:, None] * LK + cols[None, :], (acc / H).to(P.dtype.element_ty),
        mask=(rows < LQ)[:, None] & (cols < LK)[None, :])


@triton.jit
def _probs_delta_kernel(Q, K, KPM, LSE, DP, DELTA, qk_scale, H, LQ, LK, D, HAS_MASK: tl.constexpr,
                        PRECISION: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
                        BLOCK_D: tl.constexpr):
    """DELTA[bh, m] += sum_n P_h[m, n] * dP[b, m, n] / H (the probs-output term of the
    softmax backward's row correction)."""
    bh = tl.program_id(1)
    b = bh // H
    rows = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, BLOCK_D)
    q, _, _ = _tile(Q, bh, rows, offs_d, LQ, D)
    lse = tl.load(LSE + bh * LQ + rows, mask=rows < LQ, other=float('inf'))
    acc = tl.zeros([BLOCK_M], tl.float32)
    for start_n in range(0, LK, BLOCK_N):
        cols = start_n + offs_n
        k, _, _ = _tile(K, bh, cols, offs_d, LK, D)
        s = _scores(q, k, _valid_keys(KPM, b, cols, LK, HAS_MASK), qk_scale, PRECISION)
        p = tl.math.exp2(s - lse[:, None])
        acc += tl.sum(p * _probs_grad(DP, b, rows, cols, LQ, LK, H), 1)
    old = tl.load(DELTA + bh * LQ + rows, mask=rows < LQ, other=0.0)
    tl.store(DELTA + bh * LQ + rows, old + acc, mask=rows < LQ)


@triton.jit
def _bwd_kv_kernel(Q, K, V, KPM, DO, LSE, DELTA, DP, DK, DV, qk_scale, sm_scale, H, LQ, LK, D,
                   HAS_MASK: tl.constexpr, HAS_DP: tl.constexpr, PRECISION: tl.constexpr,
                   BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr):
    bh = tl.program_id(1)
    b = bh // H
    cols = tl.program_id(0) * BLOCK_N + tl.arange(0, BLOCK_N)
    offs_m = tl.arange(0, BLOCK_M)
    offs_d = tl.arange(0, BLOCK_D)
    valid = _valid_keys(KPM, b, cols, LK, HAS_MASK)
    k, kv_off, kv_ok = _tile(K, bh, cols, offs_d, LK, D)
    v, _, _ = _tile(V, bh, cols, offs_d, LK, D)
    dk = tl.zeros([BLOCK_N, BLOCK_D], tl.float32)
    dv = tl.zeros([BLOCK_N, BLOCK_D], tl.float32)
    for start_m in range(0, LQ, BLOCK_M):
        rows = start_m + offs_m
        q, _, _ = _tile(Q, bh, rows, offs_d, LQ, D)
        do, _, _ = _tile(DO, bh, rows, offs_d, LQ, D)
        lse = tl.load(LSE + bh * LQ + rows, mask=rows < LQ, other=float('inf'))
        delta = tl.load(DELTA + bh * LQ + rows, mask=rows < LQ, other=0.0)
        p = tl.math.exp2(_scores(q, k, valid, qk_scale, PRECISION) - lse[:, None])  # (M, N)
        dv += tl.dot(tl.trans(p.to(do.dtype)), do, input_precision=PRECISION)
        dp = tl.dot(do, tl.trans(v), input_precision=PRECISION)
        if HAS_DP:
            dp += _probs_grad(DP, b, rows, cols, LQ, LK, H)
        ds = p * (dp - delta[:, None])
        dk += tl.dot(tl.trans(ds.to(q.dtype)), q, input_precision=PRECISION)
    tl.store(DK + kv_off, (dk * sm_scale).to(DK.dtype.element_ty), mask=kv_ok)
    tl.store(DV + kv_off, dv.to(DV.dtype.element_ty), mask=kv_ok)


@triton.jit
def _bwd_q_kernel(Q, K, V, KPM, DO, LSE, DELTA, DP, DQ, qk_scale, sm_scale, H, LQ, LK, D,
                  HAS_MASK: tl.constexpr, HAS_DP: tl.constexpr, PRECISION: tl.constexpr,
                  BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr):
    bh = tl.program_id(1)
    b = bh // H
    rows = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, BLOCK_D)
    q, q_off, q_ok = _tile(Q, bh, rows, offs_d, LQ, D)
    do, _, _ = _tile(DO, bh, rows, offs_d, LQ, D)
    lse = tl.load(LSE + bh * LQ + rows, mask=rows < LQ, other=float('inf'))
    delta = tl.load(DELTA + bh * LQ + rows, mask=rows < LQ, other=0.0)
    dq = tl.zeros([BLOCK_M, BLOCK_D], tl.float32)
    for start_n in range(0, LK, BLOCK_N):
        cols = start_n + offs_n
        k, _, _ = _tile(K, bh, cols, offs_d, LK, D)
        v, _, _ = _tile(V, bh, cols, offs_d, LK, D)
        s = _scores(q, k, _valid_keys(KPM, b, cols, LK, HAS_MASK), qk_scale, PRECISION)
        p = tl.math.exp2(s - lse[:, None])
        dp = tl.dot(do, tl.trans(v), input_precision=PRECISION)
        if HAS_DP:
            dp += _probs_grad(DP, b, rows, cols, LQ, LK, H)
        ds = p * (dp - delta[:, None])
        dq += tl.dot(ds.to(k.dtype), k, input_precision=PRECISION)
    tl.store(DQ + q_off, (dq * sm_scale).to(DQ.dtype.element_ty), mask=q_ok)


def _precision(dtype: torch.dtype) -> str:
    # fp32 inputs: exact fp32 products (no TF32), so results match the fp32 reference
    return 'ieee' if dtype == torch.float32 else 'tf32'


def _blocks(lq: int, lk: int, d: int) -> Tuple[int, int, int]:
    """Fixed tiles ``(BLOCK_M, BLOCK_N, BLOCK_D)`` (``MMSTVG_AUTOTUNE=0``, and the kernels that
    are not autotuned)."""
    bd = _block_d(d)
    bm = 16 if lq <= 16 else (32 if bd > 64 else 64)
    bn = 16 if lk <= 16 else (32 if bd > 64 else 64)
    return bm, bn, bd


_fwd_tuned = _autotune(_ATTN_TILES, ('BLOCK_M', 'BLOCK_N'), ('LQ', 'LK'), 'D')(_fwd_kernel)
_bwd_kv_tuned = _autotune(_KV_TILES, ('BLOCK_M', 'BLOCK_N'), ('LQ', 'LK'), 'D')(_bwd_kv_kernel)
_bwd_q_tuned = _autotune(_ATTN_TILES, ('BLOCK_M', 'BLOCK_N'), ('LQ', 'LK'), 'D')(_bwd_q_kernel)


def _launch(kernel, tuned, grid, args, fixed: dict, **constexprs) -> None:
    """Launch ``tuned`` (autotuned; ``grid(meta)`` reads the chosen tiles) or, with
    ``MMSTVG_AUTOTUNE=0``, ``kernel`` with the ``fixed`` tiles."""
    if AUTOTUNE:
        tuned[grid](*args, **constexprs)
    else:
        kernel[grid(fixed)](*args, **constexprs, **fixed)


class _FlashAttention(torch.autograd.Function):

    @staticmethod
    def forward(ctx, q, k, v, kpm, scale, return_probs):
        b, h, lq, d = q.shape
        lk = k.shape[2]
        q, k, v = q.contiguous(), k.contiguous(), v.contiguous()
        has_mask = kpm is not None
        kpm_t = kpm.to(torch.int8).contiguous() if has_mask else q.new_empty(1, dtype=torch.int8)
        o = torch.empty_like(q)
        lse = torch.empty((b * h, lq), device=q.device, dtype=torch.float32)
        bm, bn, bd = _blocks(lq, lk, d)
        prec = _precision(q.dtype)
        qk_scale = scale * LOG2E
        _launch(
            _fwd_kernel,
            _fwd_tuned,
            lambda m: (triton.cdiv(lq, m['BLOCK_M']), b * h),
            (q, k, v, kpm_t, o, lse, qk_scale, h, lq, lk, d),
            dict(BLOCK_M=bm, BLOCK_N=bn),
            HAS_MASK=has_mask,
            PRECISION=prec,
            BLOCK_D=bd)
        probs = None
        if return_probs:
            probs = torch.empty((b, lq, lk), device=q.device, dtype=q.dtype)
            _probs_kernel[(triton.cdiv(lq, bm), triton.cdiv(lk, bn),
                           b)](q,
                               k,
                               kpm_t,
                               lse,
                               probs,
                               qk_scale,
                               h,
                               lq,
                               lk,
                               d,
                               HAS_MASK=has_mask,
                               PRECISION=prec,
                               BLOCK_M=bm,
                               BLOCK_N=bn,
                               BLOCK_D=bd)
        ctx.save_for_backward(q, k, v, kpm_t, o, lse)
        ctx.meta = (scale, has_mask, return_probs)
        if probs is None:
            return o
        return o, probs

    @staticmethod
    def backward(ctx, do, dprobs=None):
        q, k, v, kpm_t, o, lse = ctx.saved_tensors
        scale, has_mask, _ = ctx.meta
        b, h, lq, d = q.shape
        lk = k.shape[2]
        bm, bn, bd = _blocks(lq, lk, d)
        prec = _precision(q.dtype)
        qk_scale = scale * LOG2E
        do = torch.zeros_like(o) if do is None else do.contiguous()
        delta = (do.float() * o.float()).sum(-1).reshape(b * h, lq).contiguous()
        has_dp = dprobs is not None
        if has_dp:
            dprobs = dprobs.contiguous()
            _probs_delta_kernel[(triton.cdiv(lq, bm), b * h)](
                q,
                k,
                kpm_t,
                lse,
                dprobs,
                delta,
                qk_scale,
                h,
                lq,
                lk,
                d,
                HAS_MASK=has_mask,
                PRECISION=prec,
                BLOCK_M=bm,
                BLOCK_N=bn,
                BLOCK_D=bd)
        dp_t = dprobs if has_dp else delta
        dq = torch.empty_like(q)
        dk = torch.empty_like(k)
        dv = torch.empty_like(v)
        flags = dict(HAS_MASK=has_mask, HAS_DP=has_dp, PRECISION=prec, BLOCK_D=bd)
        _launch(_bwd_kv_kernel, _bwd_kv_tuned, lambda m: (triton.cdiv(lk, m['BLOCK_N']), b * h),
                (q, k, v, kpm_t, do, lse, delta, dp_t, dk, dv, qk_scale, scale, h, lq, lk, d),
                dict(BLOCK_M=bm, BLOCK_N=bn), **flags)
        _launch(_bwd_q_kernel, _bwd_q_tuned, lambda m: (triton.cdiv(lq, m['BLOCK_M']), b * h),
                (q, k, v, kpm_t, do, lse, delta, dp_t, dq, qk_scale, scale, h, lq, lk, d),
                dict(BLOCK_M=bm, BLOCK_N=bn), **flags)
        return dq, dk, dv, None, None, None


def flash_attention(q: torch.Tensor,
                    k: torch.Tensor,
                    v: torch.Tensor,
                    key_padding_mask: Optional[torch.Tensor] = None,
                    scale: Optional[float] = None,
                    return_probs: bool = False) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """Fused multi-head attention; arguments and returns as
    :func:`mmstvg.ops.reference.attention_ref` (no dropout)."""
    scale = q.shape[-1]**-0.5 if scale is None else float(scale)
    res = _FlashAttention.apply(q, k, v, key_padding_mask, scale, return_probs)
    if return_probs:
        return res[0], res[1]
    return res, None


@triton.jit
def _pooled_fwd_kernel(Q, X, SMASK, KPM, OUT, scale, H, L, T, S, C, HAS_SMASK: tl.constexpr,
                       HAS_KPM: tl.constexpr, BLOCK_L: tl.constexpr, BLOCK_S: tl.constexpr,
                       BLOCK_C: tl.constexpr):
    """One (sample, head, query block): stream the frames, pool each while loading it, and
    run the online softmax over frames; keys = values = the pooled frame."""
    pid_l = tl.program_id(0)
    bh = tl.program_id(1)
    b = bh // H
    rows = pid_l * BLOCK_L + tl.arange(0, BLOCK_L)
    offs_s = tl.arange(0, BLOCK_S)
    offs_c = tl.arange(0, BLOCK_C)
    row_ok = rows < L
    c_ok = offs_c < C
    q = tl.load(
        Q + bh * L * C + rows[:, None] * C + offs_c[None, :],
        mask=row_ok[:, None] & c_ok[None, :],
        other=0.0).to(tl.float32)
    # number of valid positions (the same for every frame)
    n_valid = tl.zeros([BLOCK_S], tl.float32)
    for s0 in range(0, S, BLOCK_S):
        pos = s0 + offs_s
        ok = pos < S
        if HAS_SMASK:
            ok = ok & (tl.load(SMASK + b * S + pos, mask=pos < S, other=1) == 0)
        n_valid += ok.to(tl.float32)
    denom = tl.maximum(tl.sum(n_valid, 0), 1.0)
    m_i = tl.full([BLOCK_L], float('-inf'), tl.float32)
    l_i = tl.zeros([BLOCK_L], tl.float32)
    acc = tl.zeros([BLOCK_L, BLOCK_C], tl.float32)
    for t in range(0, T):
        pooled = tl.zeros([BLOCK_C], tl.float32)
        for s0 in range(0, S, BLOCK_S):
            pos = s0 + offs_s
            ok = pos < S
            if HAS_SMASK:
                ok = ok & (tl.load(SMASK + b * S + pos, mask=pos < S, other=1) == 0)
            x = tl.load(
                X + ((b * T + t) * S + pos[:, None]) * C + offs_c[None, :],
                mask=ok[:, None] & c_ok[None, :],
                other=0.0).to(tl.float32)
            pooled += tl.sum(x, 0)
        pooled = pooled / denom
        s = tl.sum(q * pooled[None, :], 1) * scale  # (BLOCK_L,) natural log
        if HAS_KPM:
            frame_pad = tl.load(KPM + b * T + t)
            s = tl.where(frame_pad == 0, s, float('-inf'))
        m_new = tl.maximum(m_i, s)
        m_safe = tl.where(m_new == float('-inf'), 0.0, m_new)
        p = tl.exp(s - m_safe)
        alpha = tl.exp(m_i - m_safe)
        l_i = l_i * alpha + p
        acc = acc * alpha[:, None] + p[:, None] * pooled[None, :]
        m_i = m_new
    out = acc / tl.where(l_i == 0.0, 1.0, l_i)[:, None]
    tl.store(
        OUT + bh * L * C + rows[:, None] * C + offs_c[None, :],
        out.to(OUT.dtype.element_ty),
        mask=row_ok[:, None] & c_ok[None, :])


_pooled_fwd_tuned = _autotune(_POOL_TILES, ('BLOCK_L', 'BLOCK_S'), ('L', 'S'), 'C')(
    _pooled_fwd_kernel)


class _PooledAttention(torch.autograd.Function):

    @staticmethod
    def forward(ctx, q, x, smask, kpm, scale):
        b, h, l, c = q.shape
        t, s = x.shape[1], x.shape[2]
        q, x = q.contiguous(), x.contiguous()
        dummy = q.new_empty(1, dtype=torch.int8)
        smask_t = smask.to(torch.int8).contiguous() if smask is not None else dummy
        kpm_t = kpm.to(torch.int8).contiguous() if kpm is not None else dummy
        o = torch.empty_like(q)
        block_c = max(16, triton.next_power_of_2(c))
        block_l = min(32, max(16, triton.next_power_of_2(l)))
        _launch(
            _pooled_fwd_kernel,
            _pooled_fwd_tuned,
            lambda m: (triton.cdiv(l, m['BLOCK_L']), b * h),
            (q, x, smask_t, kpm_t, o, scale, h, l, t, s, c),
            dict(BLOCK_L=block_l, BLOCK_S=16),
            HAS_SMASK=smask is not None,
            HAS_KPM=kpm is not None,
            BLOCK_C=block_c)
        ctx.save_for_backward(q, x)
        ctx.masks = (smask, kpm, scale)
        return o

    @staticmethod
    def backward(ctx, do):
        q, x = ctx.saved_tensors
        smask, kpm, scale = ctx.masks
        with torch.enable_grad():
            qf = q.detach().float().requires_grad_(ctx.needs_input_grad[0])
            xf = x.detach().float().requires_grad_(ctx.needs_input_grad[1])
            out = pooled_attention_ref(qf, xf, smask, kpm, scale)
            inputs = [t for t in (qf, xf) if t.requires_grad]
            grads = iter(torch.autograd.grad(out, inputs, do.float()))
        dq = next(grads).to(q.dtype) if ctx.needs_input_grad[0] else None
        dx = next(grads).to(x.dtype) if ctx.needs_input_grad[1] else None
        return dq, dx, None, None, None


def pooled_attention(q: torch.Tensor,
                     x: torch.Tensor,
                     spatial_mask: Optional[torch.Tensor] = None,
                     key_padding_mask: Optional[torch.Tensor] = None,
                     scale: float = 1.0) -> torch.Tensor:
    """Fused pooled attention; arguments and return as
    :func:`mmstvg.ops.reference.pooled_attention_ref`."""
    return _PooledAttention.apply(q, x, spatial_mask, key_padding_mask, float(scale))
