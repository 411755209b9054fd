"""Batch the packed samples of ``PackSTVGInputs`` (``docs/data_flow.md``, section 3).

Samples differ in frame count N (fps sampling, multi-pass test), frame size (keep-ratio
resize) and token count L, so everything is padded to the batch maximum, with masks:

- frames: normalised (``(x - mean) / std`` per channel, after the optional channel swap) and
  padded with ``pad_value`` at the end of the time axis and to the right/bottom of each
  frame (to a multiple of ``pad_size_divisor``), as mmengine's ``ImgDataPreprocessor`` pads
  images; ``frame_mask`` (B, N) is True for real frames;
- features: padded with ``feature_pad_value`` on the time axis (same ``frame_mask``);
- text: ``input_ids`` padded with ``text_pad_token_id`` and ``attention_mask`` with 0.

Each data sample's metainfo gets ``batch_input_shape`` (padded H, W) and ``pad_shape``.
"""
import math
from typing import List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor

from mmstvg.registry import MODELS


def _as_list(value) -> list:
    """A batch given as a stacked tensor (``default_collate``) or a list -> list."""
    if isinstance(value, torch.Tensor):
        return list(value.unbind(0))
    return list(value)


@MODELS.register_module()
class STVGDataPreprocessor(BaseDataPreprocessor):
    """Normalise and pad frames / features / text of a batch of STVG samples.

    Args:
        mean (Sequence[float], optional): per-channel mean (of the channel order AFTER the
            optional conversion), 1 or 3 values; None: no normalisation.
        std (Sequence[float], optional): per-channel std, as ``mean``.
        bgr_to_rgb (bool): swap channels 0 and 2 (frames given as BGR). Defaults to False.
        rgb_to_bgr (bool): same swap, for models trained on BGR (the decoders give RGB).
            Defaults to False.
        pad_size_divisor (int): padded H and W are multiples of this. Defaults to 1.
        pad_value (float): value of padded pixels (after normalisation). Defaults to 0.
        feature_pad_value (float): value of padded feature rows. Defaults to 0.
        text_pad_token_id (int): id used to pad ``input_ids`` (RoBERTa: 1, BERT: 0); padded
            positions have ``attention_mask`` 0 anyway. Defaults to 0.
        non_blocking (bool): non-blocking host-to-device copies. Defaults to False.
    """

    def __init__(self,
                 mean: Optional[Sequence[float]] = None,
                 std: Optional[Sequence[float]] = None,
                 bgr_to_rgb: bool = False,
                 rgb_to_bgr: bool = False,
                 pad_size_divisor: int = 1,
                 pad_value: Union[float, int] = 0,
                 feature_pad_value: Union[float, int] = 0,
                 text_pad_token_id: int = 0,
                 non_blocking: bool = False) -> None:
        super().__init__(non_blocking=non_blocking)
        if bgr_to_rgb and rgb_to_bgr:
            raise ValueError('`bgr_to_rgb` and `rgb_to_bgr` cannot both be True.')
        if (mean is None) != (std is None):
            raise ValueError('`mean` and `std` must both be given or both be None.')
        if mean is not None:
            if len(mean) not in (1, 3) or len(std) not in (1, 3):
                raise ValueError('`mean` and `std` need 1 or 3 values.')
            self.register_buffer('mean',
                                 torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1), False)
            self.register_buffer('std',
                                 torch.tensor(std, dtype=torch.float32).view(-1, 1, 1), False)
            self._enable_normalize = True
        else:
            self._enable_normalize = False
        self._channel_conversion = bgr_to_rgb or rgb_to_bgr
        self.pad_size_divisor = int(pad_size_divisor)
        self.pad_value = pad_value
        self.feature_pad_value = feature_pad_value
        self.text_pad_token_id = int(text_pad_token_id)

    @staticmethod
    def _collect(inputs) -> dict:
        """Return ``dict(key=[per-sample value])`` from ``pseudo_collate``'s dict of lists,
        a list of per-sample dicts, or ``default_collate``'s stacked tensors."""
        if isinstance(inputs, dict):
            out = {}
            for key, value in inputs.items():
                if key == 'text':
                    out['text'] = {k: _as_list(v) for k, v in value.items()}
                else:
                    out[key] = _as_list(value)
            return out
        if isinstance(inputs, (list, tuple)) and all(isinstance(x, dict) for x in inputs):
            out = {}
            for key in inputs[0]:
                if key == 'text':
                    out['text'] = {k: [x['text'][k] for x in inputs] for k in inputs[0]['text']}
                else:
                    out[key] = [x[key] for x in inputs]
            return out
        raise TypeError('STVGDataPreprocessor expects `inputs` as a dict (pseudo_collate) or '
                        f'a list of dicts, got {type(inputs)}.')

    def _preprocess_frames(self, imgs: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) uint8 -> float, channel-converted, normalised."""
        if imgs.dim() != 4:
            raise ValueError(f'frames must be (N, C, H, W), got {tuple(imgs.shape)}')
        if self._channel_conversion:
            imgs = imgs[:, [2, 1, 0]]
        imgs = imgs.float()
        if self._enable_normalize:
            imgs = (imgs - self.mean) / self.std
        return imgs

    def _pad_frames(self, frames: List[torch.Tensor]):
        """Pad (N_i, C, H_i, W_i) to (B, N, C, H, W)."""
        n = max(f.shape[0] for f in frames)
        h = max(f.shape[2] for f in frames)
        w = max(f.shape[3] for f in frames)
        d = self.pad_size_divisor
        h, w = math.ceil(h / d) * d, math.ceil(w / d) * d
        out = []
        for f in frames:
            out.append(
                F.pad(
                    f, (0, w - f.shape[3], 0, h - f.shape[2], 0, 0, 0, n - f.shape[0]),
                    value=self.pad_value))
        return torch.stack(out), (h, w)

    @staticmethod
    def _pad_rows(rows: List[torch.Tensor], value) -> torch.Tensor:
        """Pad (N_i, ...) tensors on dim 0 to (B, N, ...)."""
        n = max(r.shape[0] for r in rows)
        out = rows[0].new_full((len(rows), n) + tuple(rows[0].shape[1:]), value)
        for i, r in enumerate(rows):
            out[i, :r.shape[0]] = r
        return out

    @staticmethod
    def _frame_mask(lengths: List[int], device) -> torch.Tensor:
        n = max(lengths)
        return torch.arange(
            n, device=device)[None] < torch.as_tensor(
                lengths, device=device)[:, None]

    def forward(self, data: dict, training: bool = False) -> dict:
        """Normalise, pad and move a batch to the device.

        Args:
            data (dict): ``inputs`` (per-sample dicts from ``PackSTVGInputs``, collated by
                ``pseudo_collate``) and ``data_samples`` (list).
            training (bool): unused (no batch augmentation).

        Returns:
            dict: ``inputs = dict(imgs=(B, N, 3, H, W) float | features=(B, N, D) float,
            frame_mask=(B, N) bool, text=dict(input_ids=(B, L) long,
            attention_mask=(B, L) long))`` and ``data_samples`` (list).
        """
        data = self.cast_data(data)
        batch = self._collect(data['inputs'])
        data_samples = data.get('data_samples')
        inputs = {}
        lengths = None
        if 'imgs' in batch:
            frames = [self._preprocess_frames(f) for f in batch['imgs']]
            lengths = [f.shape[0] for f in frames]
            inputs['imgs'], batch_input_shape = self._pad_frames(frames)
            if data_samples is not None:
                for sample in data_samples:
                    sample.set_metainfo(
                        dict(batch_input_shape=batch_input_shape, pad_shape=batch_input_shape))
        if 'features' in batch:
            feats = [f.float() for f in batch['features']]
            feat_lengths = [f.shape[0] for f in feats]
            if lengths is not None and feat_lengths != lengths:
                raise ValueError(f'frame counts of imgs {lengths} and features '
                                 f'{feat_lengths} differ.')
            lengths = feat_lengths
            inputs['features'] = self._pad_rows(feats, self.feature_pad_value)
        if lengths is None:
            raise KeyError('STVGDataPreprocessor: the batch has neither `imgs` nor '
                           '`features`.')
        inputs['frame_mask'] = self._frame_mask(lengths, self.device)
        if 'text' in batch:
            text = batch['text']
            inputs['text'] = dict(
                input_ids=self._pad_rows([t.long() for t in text['input_ids']],
                                         self.text_pad_token_id),
                attention_mask=self._pad_rows([t.long() for t in text['attention_mask']], 0))
        return dict(inputs=inputs, data_samples=data_samples)
