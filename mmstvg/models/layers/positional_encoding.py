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
from mmdet.models.layers.transformer.utils import coordinate_to_encoding


def sine_encoding_1d(positions: torch.Tensor,
                     dims: int,
                     temperature: float = 10000.,
                     normalize: bool = False,
                     scale: float = 2 * math.pi) -> torch.Tensor:
    """Sine encoding of 1-D positions: mmdet's ``coordinate_to_encoding`` (the DETR encoding
    of box coordinates), applied to one coordinate. mmdet has no 1-D form: its function
    takes (B, N, 2 | 4) coordinates and always scales them; here any leading shape and an
    unscaled position (``normalize=False``) are allowed.

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
        pos = pos / (pos.shape[-1] + 1e-6)
    flat = pos.reshape(1, -1, 1).expand(1, pos.numel(), 2)  # (1, M, 2): x = y = position
    enc = coordinate_to_encoding(
        flat, num_feats=dims, temperature=temperature, scale=scale if normalize else 1.)
    return enc[0, :, dims:].reshape(*pos.shape, dims)  # the x half


def safe_key_padding_mask(mask: torch.Tensor) -> torch.Tensor:
    """(M, K) bool key padding mask (True = ignore) with all-True rows set to all-False."""
    if mask is None:
        return None
    return mask & ~mask.all(dim=-1, keepdim=True)
