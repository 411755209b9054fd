"""GKCMN (Xiong, Liu, Zhou, "Gaussian Kernel-based Cross Modal Network for Spatio-Temporal
Video Grounding", ICIP 2022; ``configs/gkcmn/README.md``: how the paper maps onto mmstvg, and
its citation; § and Eq. numbers below are the paper's) and its anchor-free baseline BM.

    clip feature maps V (B, C, T, h, w): precomputed I3D maps (``LoadSTVGFeatures``) or a
        video encoder on the frames (§2.1)
    sentence --GloVe + self-attention + Bi-GRU (or any transformers encoder)--> S (§2.1)
    cross-modal interaction (Eq. 1) --> F_f2 (B, D', T, h, w)
    mixed serial/parallel convolutional network (§2.2, Eqs. 2-4) --> M_mix
    spatial location head (§2.3): L x L Gaussian heatmap (focal loss, Eq. 6) + ltrb size
        regression (GIoU, Eq. 7); box of a frame = the peak's regressed box
    temporal location head (§2.4): candidate spans scored by predicted IoU (Eq. 8) and
        refined by boundary offsets (Eq. 9)
    total loss (Eq. 10) = a1 L_loc + a2 L_reg + a3 L_con + a4 L_reg^t (weights in config)

This model is its feature extraction (:meth:`GKCMN.extract_feat`, up to M_mix); the losses,
the inference (multi-pass included) and the tube decoding are :class:`BaseGrounder`'s.

BM ("we remove our mixed convolutional network and location heads", §3) is this grounder
with ``mixed_conv=None``, a single-point heatmap head at the feature-map resolution (no
up-sampling, no Gaussian kernel) and a per-step in-span head (``SpanScoreHead`` on the
spatially pooled features, span = best contiguous run) in place of the temporal location head.
"""
from typing import Dict, Optional

import torch

from mmstvg.registry import MODELS
from .base_grounder import BaseGrounder, SampleList


@MODELS.register_module()
class GKCMN(BaseGrounder):
    """GKCMN / BM (see module docstring).

    Args:
        text_encoder (dict): sentence encoder (``GloVeTextEncoder`` or ``HFTextEncoder``).
        interaction (dict): cross-modal interaction (``CrossModalInteraction``).
        spatial_head (dict): spatial location head (``GaussianHeatmapHead``; any spatial
            head, ``mmstvg/models/heads/base_spatial_head.py``).
        temporal_head (dict): ``TemporalLocationHead`` or, for BM, ``SpanScoreHead`` (any
            temporal head, e.g. STVGFormer's ``TAN2DHead``). Both heads get the same
            features: ``maps`` (M_mix), ``seq`` (M_mix pooled over space), ``frame_mask``.
        mixed_conv (dict, optional): ``MixedConvNet``; None (BM, "w/o MN") skips it.
        video_encoder (dict, optional): encoder of the frames into clip feature maps
            (``VideoClipEncoder``); None: precomputed ``inputs['features']``
            ((B, T, h, w, C)).
        data_preprocessor (dict, optional): ``STVGDataPreprocessor`` config.
        init_cfg (dict, optional): initialisation config.
        test_cfg (dict, optional): test-time options of :class:`BaseGrounder`
            (``use_gt_span``).
    """

    def __init__(self,
                 text_encoder: dict,
                 interaction: dict,
                 spatial_head: dict,
                 temporal_head: dict,
                 mixed_conv: Optional[dict] = None,
                 video_encoder: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg, test_cfg=test_cfg)
        self.video_encoder = MODELS.build(video_encoder) if video_encoder else None
        self.text_encoder = MODELS.build(text_encoder)
        self.interaction = MODELS.build(interaction)
        self.mixed_conv = MODELS.build(mixed_conv) if mixed_conv else None
        self.build_heads(spatial_head, temporal_head)

    def extract_clip_feats(self, inputs: Dict[str, torch.Tensor]) -> torch.Tensor:
        """Clip feature maps V, (B, C, T, h, w)."""
        if self.video_encoder is not None:
            return self.video_encoder(inputs['imgs']).permute(0, 2, 1, 3, 4)
        if 'features' not in inputs:
            raise KeyError('GKCMN without `video_encoder` needs precomputed feature maps '
                           '(`LoadSTVGFeatures` in the pipeline).')
        feats = inputs['features']
        if feats.dim() == 3:
            feats = feats[:, :, None, None]
        if feats.dim() != 5:
            raise ValueError('feature maps must be (B, T, h, w, C) or (B, T, C), got '
                             f'{tuple(feats.shape)}')
        return feats.permute(0, 4, 1, 2, 3)

    def extract_feat(self,
                     inputs: Dict[str, torch.Tensor],
                     data_samples: Optional[SampleList] = None) -> Dict[str, torch.Tensor]:
        """The fused maps M_mix, the features of both heads.

        Args:
            inputs (dict): ``features`` (B, T, h, w, C) or ``imgs`` (B, T, 3, H, W),
                ``frame_mask`` (B, T) bool, ``text`` = dict(input_ids, attention_mask).

        Returns:
            dict: ``maps`` = M_mix (B, D, T, h, w), ``seq`` = M_mix pooled over space
            (B, T, D), ``frame_mask``.
        """
        frame_mask = inputs['frame_mask']
        text = self.text_encoder(**inputs['text'])
        maps = self.extract_clip_feats(inputs)
        # Padded steps are zeroed before and after every stage. (The 3-D convolutions inside
        # the mixed conv net still see their intermediate values at padded steps next to the
        # last real ones; GKCMN's pipelines sample a fixed number of steps per query, so
        # batches have no padded steps in practice.) Without padded steps the masks are the
        # identity and are not applied: multiplying the (B, C, T, h, w) input maps by them
        # alone was ~9 % of a paper-size training step on CPU (issue 28).
        step_mask = None
        if not bool(frame_mask.all()):
            step_mask = frame_mask[:, None, :, None, None].to(maps.dtype)

        def masked(x: torch.Tensor) -> torch.Tensor:
            return x if step_mask is None else x * step_mask

        fused = masked(self.interaction(masked(maps), text['tokens'], text['mask']))
        if self.mixed_conv is not None:
            fused = masked(self.mixed_conv(fused))
        return dict(maps=fused, seq=fused.mean((3, 4)).transpose(1, 2), frame_mask=frame_mask)
