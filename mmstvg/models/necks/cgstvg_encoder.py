"""The multi-modal encoder of CG-STVG and TA-STVG: STCAT's encoder (:class:`STCATEncoder`)
with its temporal half switched off and a motion segment per frame.

What the forks' ``models/grounding_model/modal_encoder.py`` does differently from STCAT's:

- every frame's sequence is ``[appearance h*w tokens (ResNet-101, 2-D sine position), text L
  tokens (no position), motion h*w tokens (VidSwin-T, the same 2-D sine position and padding
  mask as the appearance tokens)]``; no frame token is prepended;
- only the N *spatial* layers run (self-attention inside each frame); STCAT's temporal layers,
  frame / video tokens and learned embeddings are still built (they are in the released
  checkpoints) but never used;
- a final LayerNorm on every token;
- the frame summary is the mean of all the frame's tokens (appearance, text and motion) and the
  video summary the mean of its frames' summaries. The forks run one video per batch, where no
  token is padded; here the mean is over the tokens that are not padding, so that a video
  gives the same summaries in a batch (its sentence padded to the longest) as alone.

The memory handed to the decoders keeps all ``h*w + L + h*w`` tokens; its position encoding
(``memory_pos``) is the sine one on the appearance tokens and zeros on the text and motion
tokens (the forks' decoders rebuild it that way), while the encoder itself used the sine
encoding on the motion tokens too (``encoder_pos``).
"""
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn

from mmstvg.ops import masked_spatial_mean
from mmstvg.registry import MODELS
from .stcat_encoder import STCATEncoder


@MODELS.register_module()
class CGSTVGEncoder(STCATEncoder):
    """Spatial-only STCAT encoder with a final LayerNorm and mean summaries (module docstring).

    Args: as :class:`STCATEncoder` (the temporal parts are built for the checkpoints' sake).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.norm = nn.LayerNorm(self.embed_dims)

    def encode(self, tokens: torch.Tensor, mask: torch.Tensor, pos: torch.Tensor,
               frame_mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Spatial layers, LayerNorm and mean summaries.

        Returns:
            tuple: memory (N, S, d), frame summaries (N, d), video summaries (B, d).
        """
        x = tokens
        for layer in self.spatial_layers:
            x = self._layer(layer, x, pos, mask)
        x = self.norm(x)
        frame_tokens = masked_spatial_mean(x[:, None], mask)[:, 0]
        video_of = frame_mask.nonzero(as_tuple=True)[0]
        b = frame_mask.shape[0]
        sums = frame_tokens.new_zeros(b, x.shape[-1]).index_add(0, video_of, frame_tokens)
        video_tokens = sums / frame_mask.sum(1, keepdim=True).to(sums)
        return x, frame_tokens, video_tokens

    def forward(
        self,
        vis: torch.Tensor,
        vis_pos: torch.Tensor,
        vis_mask: torch.Tensor,
        text: torch.Tensor,
        text_mask: torch.Tensor,
        frame_mask: torch.Tensor,
        extra_tokens: Optional[Tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = None
    ) -> Dict[str, torch.Tensor]:
        """Encode; ``extra_tokens`` is the motion map ``(N, d, h, w)`` here (its mask and
        position are the appearance ones), or a ready (tokens, mask, pos) triple.

        Returns:
            dict: as :meth:`STCATEncoder.forward` plus ``encoder_pos``; ``memory_pos`` is
            zero beyond the appearance tokens.
        """
        if isinstance(extra_tokens, torch.Tensor):
            mask = vis_mask.flatten(1).clone()
            mask[:, 0] = False  # the forks' guard, applied to the shared mask
            extra_tokens = (extra_tokens.flatten(2).transpose(1, 2), mask,
                            vis_pos.flatten(2).transpose(1, 2))
        out = super().forward(vis, vis_pos, vis_mask, text, text_mask, frame_mask, extra_tokens)
        hw = vis.shape[-2] * vis.shape[-1]
        out['encoder_pos'] = out['memory_pos']
        memory_pos = torch.zeros_like(out['memory_pos'])
        memory_pos[:, :hw] = out['memory_pos'][:, :hw]
        out['memory_pos'] = memory_pos
        return out
