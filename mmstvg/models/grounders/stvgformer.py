"""STVGFormer (Lin et al., "STVGFormer: Spatio-Temporal Video Grounding with Static-Dynamic
Cross-Modal Understanding", 2022; ``configs/stvgformer/README.md``: how the paper maps onto
mmstvg, and its citation; § and Eq. numbers below are the paper's).

    frames --image_backbone (mmdet ResNet-101)--image_proj (FC, 1x1)--> per-frame visual tokens
    sentence --text_encoder (RoBERTa + FC)--> text tokens
    frames --video_backbone (mmaction2 SlowFast) | precomputed clip features--> F_c (§1.2)
    static branch (§1.1): per-frame MDETR encoder over [visual ; text], N decoder layers
    dynamic branch (§1.2): STCMT, N layers
    after each (decoder layer i, STCMT layer i): SDIB i (§1.3)
    static head: box per frame + in-span score p^s (§1.4)
    dynamic head: 2D-TAN proposal map -> span score map S + auxiliary in-span scores (§1.4)
    loss (§1.5, Eqs. 4-6): 5 L1 + 2 GIoU + 0.5 L^s_aux + 5 L_tg + 1 L^d_aux (weights in config)

Inference (§1.4, §2.1): the span is the argmax of S, the boxes are the static head's boxes
on the frames inside it. Long videos are covered by several passes of T frames with shifted
offsets (``SampleSTVGFrames(multi_pass=True)``: pass ``p`` is ``frame_inds[p::P]``, every pass
spans the whole clip, so position ``k`` of every pass lies in the same segment of the clip):
the passes' span probability maps are averaged position by position, the best proposal
``(i, j)`` of the mean map covers the segments ``i..j`` (all passes' frames in them), and
every frame keeps the box of the pass that sampled it (boxes of a frame sampled twice are
averaged). Training, inference and the multi-pass machinery are :class:`BaseGrounder`'s; this
model is its feature extraction (both branches and their interaction, :meth:`extract_feat`)
and its training aids (:meth:`extra_losses`).
"""
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmstvg.registry import MODELS
from ..layers import STCMTLayer, set_attn_impl
from ..utils.attention_centroid import attention_centroid
from .base_grounder import BaseGrounder, SampleList


@MODELS.register_module()
class STVGFormer(BaseGrounder):
    """STVGFormer (see module docstring).

    Args:
        image_backbone (dict): 2-D backbone config of the static branch (``mmdet.ResNet``);
            the last returned feature map is used.
        image_channels (int): channels of that feature map (2048 for ResNet-101 C5).
        text_encoder (dict): ``HFTextEncoder`` config, projecting to ``d``.
        static_branch (dict): ``StaticBranch`` config.
        dynamic_branch (dict): ``STCMT`` config (its ``in_channels`` = clip feature channels).
        spatial_head (dict): spatial head config: ``QueryBoxHead`` (the paper's, on the static
            branch's object queries) or any spatial head, such as GKCMN's
            ``GaussianHeatmapHead``, which reads the last dynamic feature maps
            (``docs/advanced_guides/swap_components.md``; ``aux_loss`` / ``box_reference``
            need a head on the queries).
        temporal_head (dict): dynamic head config (``TAN2DHead``, on the pooled dynamic
            features; or any temporal head, such as GKCMN's ``TemporalLocationHead`` on the
            dynamic maps). Both heads get the same features: ``queries`` (the normed last
            decoder queries, (B, T, d)), ``ref_centers`` (with ``box_reference``), ``maps``
            (the last dynamic maps, (B, d, T, h, w)), ``seq`` (their spatial mean, (B, T, d))
            and ``frame_mask``.
        video_backbone (dict, optional): clip encoder applied to the sampled frames
            (``VideoClipEncoder``). None: the dynamic branch reads precomputed clip features
            ``inputs['features']`` ((B, T, h, w, c), or (B, T, c) for h = w = 1).
        interaction (dict, optional): ``SDIB`` config; one block per layer (``embed_dims``
            filled in). None: no interaction.
        frame_chunk (int, optional): at inference, run the image backbone on at most this
            many frames at a time.
        aux_loss (bool): also apply the static head's losses to the object queries of every
            earlier decoder layer (shared head, after the decoder norm), as MDETR/DETR train
            (the paper follows MDETR's training practice). Defaults to False.
        box_reference (str, optional): ``'attention'``: the static head predicts each box
            centre as an offset to the centroid of the frame's decoder cross-attention map
            (a reference point as in Conditional DETR; the gradient of the box loss then
            reaches the attention directly, which makes training from scratch converge).
            Not in the paper; None (the paper's head) by default.
        loss_attn (dict, optional): supervise each supervised decoder layer's
            cross-attention map (renormalised over the frame's visual positions) with the GT
            box on in-span frames (``SpatialAttentionLoss``, as the per-frame baseline does).
            Not in the paper, whose static branch starts from MDETR; a training aid for
            models trained from scratch. None by default.
        attn_impl (str, optional): one switch for the attention kernel of the static branch,
            the STCMT and the SDIB: 'naive' (materialised scores), 'sdpa' (PyTorch's fused
            attention; the decoder cross-attention, whose weights the SDIB needs, then runs
            naive) or 'fused' (:mod:`mmstvg.ops` Triton kernels; falls back to 'sdpa' with a
            warning without a GPU). None keeps each module's own setting (default 'sdpa').
        data_preprocessor (dict, optional): ``STVGDataPreprocessor`` config.
        init_cfg (dict, optional): e.g. ``dict(type='Pretrained', checkpoint=...)`` with an
            MDETR checkpoint converted by ``tools/model_converters/mdetr2mmstvg.py``.
        test_cfg (dict, optional): test-time options of :class:`BaseGrounder`
            (``use_gt_span``, ``pass_batch``: inference passes run together, 4 by default).
    """

    def __init__(self,
                 image_backbone: dict,
                 image_channels: int,
                 text_encoder: dict,
                 static_branch: dict,
                 dynamic_branch: dict,
                 spatial_head: dict,
                 temporal_head: dict,
                 video_backbone: Optional[dict] = None,
                 interaction: Optional[dict] = dict(type='SDIB'),
                 frame_chunk: Optional[int] = None,
                 aux_loss: bool = False,
                 box_reference: Optional[str] = None,
                 loss_attn: Optional[dict] = None,
                 attn_impl: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg, test_cfg=test_cfg)
        self.image_backbone = MODELS.build(image_backbone)
        self.text_encoder = MODELS.build(text_encoder)
        self.static_branch = MODELS.build(static_branch)
        self.dynamic_branch = MODELS.build(dynamic_branch)
        d = self.static_branch.embed_dims
        if self.dynamic_branch.embed_dims != d or self.text_encoder.out_channels != d:
            raise ValueError('static branch, dynamic branch and text encoder must share the '
                             f'width d: {d}, {self.dynamic_branch.embed_dims}, '
                             f'{self.text_encoder.out_channels}')
        if self.dynamic_branch.num_layers != self.static_branch.num_layers:
            raise ValueError('the interaction pairs decoder layer i with STCMT layer i: '
                             f'{self.static_branch.num_layers} decoder layers vs '
                             f'{self.dynamic_branch.num_layers} STCMT layers')
        self.image_proj = nn.Conv2d(image_channels, d, kernel_size=1)
        self.video_backbone = MODELS.build(video_backbone) if video_backbone else None
        self.interactions = None
        if interaction is not None:
            self.interactions = nn.ModuleList(
                MODELS.build(dict(interaction, embed_dims=d))
                for _ in range(self.static_branch.num_layers))
        self.build_heads(spatial_head, temporal_head)
        self.frame_chunk = frame_chunk
        self.aux_loss = aux_loss
        if box_reference not in (None, 'attention'):
            raise ValueError(f'box_reference must be None or "attention", got {box_reference!r}')
        self.box_reference = box_reference
        if self.spatial_head.in_key != 'queries' and (aux_loss or box_reference):
            raise ValueError('aux_loss and box_reference act on the object queries: they need '
                             'a spatial head that reads them (in_key="queries"), not one on '
                             f'{self.spatial_head.in_key!r}')
        self.loss_attn = MODELS.build(loss_attn) if loss_attn else None
        if attn_impl is not None:
            set_attn_impl(self, attn_impl)

    # ----------------------------------------------------------------- features
    def extract_image_feats(self, imgs: torch.Tensor) -> torch.Tensor:
        """(M, 3, H, W) frames -> (M, d, h, w) projected feature maps."""
        if self.training or not self.frame_chunk or imgs.shape[0] <= self.frame_chunk:
            fmap = self.image_backbone(imgs)[-1]
        else:
            fmap = torch.cat([self.image_backbone(c)[-1] for c in imgs.split(self.frame_chunk)])
        return self.image_proj(fmap)

    def extract_clip_feats(self, inputs: Dict[str, torch.Tensor]) -> torch.Tensor:
        """Clip features F_c, (B, T, c, h, w)."""
        if self.video_backbone is not None:
            return self.video_backbone(inputs['imgs'])
        if 'features' not in inputs:
            raise KeyError('STVGFormer without `video_backbone` needs precomputed clip '
                           'features (`LoadSTVGFeatures` in the pipeline).')
        feats = inputs['features']
        if feats.dim() == 3:
            return feats[..., None, None]
        if feats.dim() != 5:
            raise ValueError(f'clip features must be (B, T, h, w, c) or (B, T, c), got '
                             f'{tuple(feats.shape)}')
        return feats.permute(0, 1, 4, 2, 3)

    @staticmethod
    def image_padding_mask(data_samples: Optional[SampleList], pad_hw, feat_hw, num_frames: int,
                           device) -> Optional[torch.Tensor]:
        """(B * T, h, w) bool mask of the padded part of every frame (DETR style), or None
        when no frame is padded."""
        if not data_samples:
            return None
        pad_h, pad_w = int(pad_hw[0]), int(pad_hw[1])
        shapes = [s.metainfo.get('img_shape', (pad_h, pad_w))[:2] for s in data_samples]
        if all(int(h) == pad_h and int(w) == pad_w for h, w in shapes):
            return None
        mask = torch.ones((len(shapes), pad_h, pad_w), dtype=torch.bool, device=device)
        for i, (h, w) in enumerate(shapes):
            mask[i, :int(h), :int(w)] = False
        mask = F.interpolate(mask[:, None].float(), size=tuple(feat_hw))[:, 0].bool()
        return mask.repeat_interleave(num_frames, dim=0)

    attention_centroid = staticmethod(attention_centroid)

    # ------------------------------------------------------------------ forward
    def extract_feat(self,
                     inputs: Dict[str, torch.Tensor],
                     data_samples: Optional[SampleList] = None) -> Dict[str, object]:
        """Both branches and their interaction over a batch of T-frame sequences.

        Args:
            inputs (dict): ``imgs`` (B, T, 3, H, W), ``frame_mask`` (B, T) bool,
                ``text`` = dict(input_ids (B, L), attention_mask (B, L)) and, without a
                video backbone, ``features`` (B, T, h, w, c).

        Returns:
            dict: the features of both heads (``queries``, ``ref_centers``, ``maps``,
            ``seq``, ``frame_mask``; see ``__init__``) and, for :meth:`extra_losses`, every
            decoder layer's ``dec_queries`` ((B * T, 1, d), before the decoder norm),
            ``dec_ref_centers`` ((B, T, 2) or None) and ``attn_maps`` ((B, T, h, w)
            cross-attention of the frame's query over its visual positions).
        """
        imgs, frame_mask = inputs['imgs'], inputs['frame_mask']
        b, t = frame_mask.shape
        text = self.text_encoder(**inputs['text'])
        tokens, text_mask = text['tokens'], text['mask']
        # static branch: encoder over every frame's [visual ; text] tokens
        vis = self.extract_image_feats(imgs.flatten(0, 1))
        hs, ws = vis.shape[-2:]
        img_mask = self.image_padding_mask(data_samples, imgs.shape[-2:], (hs, ws), t, vis.device)
        enc = self.static_branch.encode(vis, img_mask, tokens.repeat_interleave(t, 0),
                                        text_mask.repeat_interleave(t, 0))
        # dynamic branch input
        clip_feats = self.extract_clip_feats(inputs)
        if clip_feats.shape[1] != t:
            raise ValueError(f'{clip_feats.shape[1]} clip features for {t} frames')
        hd, wd = clip_feats.shape[-2:]
        dyn, dyn_pos, dyn_mask = self.dynamic_branch.prepare(clip_feats)
        dyn_text = tokens
        query, query_pos = self.static_branch.init_query(b * t)
        layer_queries, layer_refs, layer_attns = [], [], []
        for i in range(self.static_branch.num_layers):
            query, attn = self.static_branch.decode_layer(i, query, query_pos, enc)
            layer_attns.append(attn)
            layer_refs.append(
                self.attention_centroid(attn, img_mask).view(b, t, 2) if self.
                box_reference else None)
            dyn, dyn_text = self.dynamic_branch.forward_layer(i, dyn, dyn_text, dyn_pos, text_mask,
                                                              frame_mask, dyn_mask)
            if self.interactions is not None:
                dyn, q = self.interactions[i](
                    dyn,
                    query.view(b, t, -1),
                    attn.view(b, t, hs, ws), (hd, wd),
                    vis_pos=dyn_pos,
                    frame_mask=frame_mask,
                    spatial_mask=dyn_mask)
                query = q.reshape(b * t, 1, -1)
            layer_queries.append(query)
        return dict(
            queries=self.static_branch.decoder_norm(query).view(b, t, -1),
            ref_centers=layer_refs[-1],
            maps=dyn.view(b, t, hd, wd, -1).permute(0, 4, 1, 2, 3),
            seq=STCMTLayer.spatial_mean(dyn, dyn_mask),
            frame_mask=frame_mask,
            dec_queries=layer_queries,
            dec_ref_centers=layer_refs,
            attn_maps=[a.view(b, t, hs, ws) for a in layer_attns])

    def extra_losses(self, feats: Dict[str, object],
                     targets: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """The training aids (weights in their configs): with ``aux_loss``, the spatial
        head's losses on every earlier decoder layer (``d{i}.*``); with ``loss_attn``, the
        supervision of the last layer's cross-attention (and every earlier one's with
        ``aux_loss``)."""
        losses = {}
        if self.aux_loss:
            b, t = feats['frame_mask'].shape
            for i, (q,
                    r) in enumerate(zip(feats['dec_queries'][:-1], feats['dec_ref_centers'][:-1])):
                aux = self.spatial_head(
                    dict(
                        feats,
                        queries=self.static_branch.decoder_norm(q).view(b, t, -1),
                        ref_centers=r))
                aux_losses = self.spatial_head.loss_by_feat(aux, targets)
                losses.update({f'd{i}.{k}': v for k, v in aux_losses.items()})
        if self.loss_attn is not None:
            in_span, gt_boxes = targets['in_span'], targets['gt_boxes']
            # the last layer's map, and every earlier one's when aux_loss is on
            maps = feats['attn_maps'] if self.aux_loss else feats['attn_maps'][-1:]
            for i, attn in enumerate(maps):
                a = attn[in_span]
                a = a / a.flatten(1).sum(1).clamp(min=1e-6)[:, None, None]
                key = 'loss_attn' if i == len(maps) - 1 else f'd{i}.loss_attn'
                losses[key] = self.loss_attn(a, gt_boxes[in_span])
        return losses
