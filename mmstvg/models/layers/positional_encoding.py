"""Small helpers shared by the cross-modal transformers (STVGFormer §1.1–1.3).

- :func:`sine_encoding_1d`: the 1-D sine/cosine encoding of DETR/"Attention is all you need"
  used along time (frame positions); the 2-D spatial one is mmdet's
  ``SinePositionalEncoding``.
- :func:`safe_key_padding_mask`: ``nn.MultiheadAttention`` returns NaN for a query whose keys
  are all masked (softmax over nothing); rows with no valid key are unmasked instead (their
  outputs belong to padding and are ignored downstream).
"""
import math

import torch


def sine_encoding_1d(positions: torch.Tensor,
                     dims: int,
                     temperature: float = 10000.,
                     normalize: bool = False,
                     scale: float = 2 * math.pi) -> torch.Tensor:
    """Sine encoding of 1-D positions.

    Args:
        positions (Tensor): (..., N) float or int positions.
        dims (int): encoding size (even).
        temperature (float): frequency base. Defaults to 10000.
        normalize (bool): divide positions by ``N`` and multiply by ``scale`` first.
        scale (float): see ``normalize``.

    Returns:
        Tensor: (..., N, dims) float, interleaved [sin, cos] pairs.
    """
    if dims % 2:
        raise ValueError(f'sine_encoding_1d needs an even size, got {dims}')
    pos = positions.float()
    if normalize:
        pos = pos / (pos.shape[-1] + 1e-6) * scale
    dim_t = torch.arange(dims // 2, dtype=torch.float32, device=pos.device)
    dim_t = temperature**(2 * dim_t / dims)
    angles = pos[..., None] / dim_t
    return torch.stack([angles.sin(), angles.cos()], dim=-1).flatten(-2)


def safe_key_padding_mask(mask: torch.Tensor) -> torch.Tensor:
    """(M, K) bool key padding mask (True = ignore) with all-True rows set to all-False."""
    if mask is None:
        return None
    return mask & ~mask.all(dim=-1, keepdim=True)
