"""GloVe + self-attention + Bi-GRU sentence encoder (GKCMN §2.1, "Sentence Encoder").

Words are embedded with (frozen) GloVe vectors, a stack of self-attention layers captures the
dependencies among words (§3: 2 layers), and a Bi-GRU gives their sequential features
``S = {s_n}``. Output contract as ``HFTextEncoder``: ``tokens`` (B, L, C), ``mask`` (B, L),
``sentence`` (B, C).

The embedding table follows ``read_vocab(vocab_file)``'s order (the one ``TokenizeWords``
uses): row 0 ``<pad>`` and row 1 ``<unk>`` are zero, words missing from the GloVe file are
zero (counted and logged). Without ``glove_file`` the table is randomly initialised with
``vocab_size`` rows (synthetic configs, tests).
"""
from typing import Dict, Optional

import numpy as np
import torch
import torch.nn as nn
from mmdet.models.layers import DetrTransformerEncoderLayer
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from mmstvg.registry import MODELS
from .glove import load_glove, read_vocab


@MODELS.register_module()
class GloVeTextEncoder(BaseModule):
    """GloVe words -> self-attention -> Bi-GRU.

    Args:
        glove_file (str, optional): ``glove.*.txt``; None: random embedding table.
        vocab_file (str, optional): vocabulary (see module docstring); defaults to the words
            of ``glove_file``.
        vocab_size (int, optional): rows of a random table (no ``glove_file``).
        embed_dims (int): word vector size (GloVe: 300).
        num_attn_layers (int): self-attention layers. Defaults to 2.
        num_heads (int): attention heads. Defaults to 4.
        hidden_dims (int): Bi-GRU output size (half per direction). Defaults to 256.
        out_channels (int, optional): project the tokens to this size.
        freeze_embedding (bool): keep the word vectors fixed. Defaults to True.
        dropout (float): dropout in the attention layers. Defaults to 0.
        init_cfg (dict, optional): initialisation config.
    """

    def __init__(self,
                 glove_file: Optional[str] = None,
                 vocab_file: Optional[str] = None,
                 vocab_size: Optional[int] = None,
                 embed_dims: int = 300,
                 num_attn_layers: int = 2,
                 num_heads: int = 4,
                 hidden_dims: int = 256,
                 out_channels: Optional[int] = None,
                 freeze_embedding: bool = True,
                 dropout: float = 0.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if glove_file is None and vocab_size is None:
            raise ValueError('GloVeTextEncoder needs `glove_file` or `vocab_size`.')
        if hidden_dims % 2:
            raise ValueError(f'hidden_dims must be even (two GRU directions): {hidden_dims}')
        if glove_file is not None:
            vocab = read_vocab(vocab_file or glove_file)
            words, vectors = load_glove(glove_file, vocab=vocab[2:], dim=embed_dims)
            table = np.zeros((len(vocab), embed_dims), dtype=np.float32)
            found = dict(zip(words, vectors))
            for i, w in enumerate(vocab[2:], 2):
                if w in found:
                    table[i] = found[w]
            missing = len(vocab) - 2 - len(found)
            print_log(
                f'GloVeTextEncoder: {len(found)} of {len(vocab) - 2} words from '
                f'{glove_file}; {missing} without a vector (zeros).',
                logger='current')
            self.embedding = nn.Embedding.from_pretrained(
                torch.from_numpy(table), freeze=freeze_embedding, padding_idx=0)
        else:
            self.embedding = nn.Embedding(vocab_size, embed_dims, padding_idx=0)
            self.embedding.weight.requires_grad = not freeze_embedding
        attn = dict(embed_dims=embed_dims, num_heads=num_heads, dropout=dropout, batch_first=True)
        ffn = dict(embed_dims=embed_dims, feedforward_channels=2 * embed_dims, ffn_drop=dropout)
        self.attn_layers = nn.ModuleList(
            DetrTransformerEncoderLayer(self_attn_cfg=dict(attn), ffn_cfg=dict(ffn))
            for _ in range(num_attn_layers))
        self.gru = nn.GRU(embed_dims, hidden_dims // 2, batch_first=True, bidirectional=True)
        self.proj = nn.Linear(hidden_dims, out_channels) if out_channels else nn.Identity()
        self.out_channels = out_channels or hidden_dims

    def forward(self, input_ids: torch.Tensor,
                attention_mask: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Encode word ids.

        Args:
            input_ids (Tensor): (B, L) word ids (``TokenizeWords``).
            attention_mask (Tensor): (B, L) 1 for real words.

        Returns:
            dict: ``tokens`` (B, L, C) (0 at padding), ``mask`` (B, L) bool,
            ``sentence`` (B, C) masked mean.
        """
        mask = attention_mask.bool()
        x = self.embedding(input_ids)
        kpm = ~mask
        kpm = kpm & ~kpm.all(dim=1, keepdim=True)  # an all-padding row would give NaN
        for layer in self.attn_layers:
            x = layer(x, query_pos=None, key_padding_mask=kpm)
        lengths = mask.sum(1).clamp(min=1).cpu()
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.gru(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        tokens = self.proj(out) * mask[..., None].to(out.dtype)
        w = mask[..., None].to(tokens.dtype)
        sentence = (tokens * w).sum(1) / w.sum(1).clamp(min=1.0)
        return dict(tokens=tokens, mask=mask, sentence=sentence)
