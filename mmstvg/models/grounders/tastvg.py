"""TA-STVG (Gu et al., "Knowing Your Target: Target-Aware Transformer Makes Better
Spatio-Temporal Video Grounding", ICLR 2025; code: github.com/HengLan/TA-STVG): CG-STVG's
model (:class:`CGSTVG`) without instance context guidance, whose decoders start from
*target-aware* queries.

After the encoder (its output detached for these modules; ``detach_memory``), per video:

1. text-guided temporal sampling (:class:`TextGuidedTemporalSampling`, one on the appearance
   tokens, one on the motion tokens): a relevance logit per frame; the frames with
   ``(sigmoid(s_a) + sigmoid(s_m)) / 2 > frame_thr`` (0.7 HC-STVG, 0.45 VidSTG; all frames when
   none) are kept;
2. attribute-aware spatial activation (:class:`AttributeSpatialActivation`, appearance with the
   attribute words, motion with the action words): the first text token (the annotated
   subject, prepended to the sentence by TA-STVG's data) attends to the kept frames' tokens;
   the activation maps weight the (not detached) appearance / motion tokens into the initial
   spatial / temporal query (mean over frames and positions), shared by all frame queries;
3. the decoders (:class:`TASTVGDecoder`) run from these queries. At inference the frames are
   chosen again from the first decoding (temporal decoder's actionness ``sigmoid > 0.5``, all
   frames when none), the activations and queries recomputed and the decoders run again.

Losses: CG-STVG's (STCAT's heads on every layer; no guided attention, no confidence loss) plus,
on the last layer only, BCE-with-logits of the two frame-relevance logits against the GT
segment (``loss_frame_appearance`` / ``loss_frame_motion``: the fork's ``logits_f_a`` /
``logits_f_m``) and of the two word classifiers against the multi-hot labels of the annotation
(``loss_attr_appearance`` / ``loss_attr_motion``: ``logits_r_a`` / ``logits_r_m``), weight 1
each.

The labels come with the data sample (metainfo ``ta_attr_labels`` / ``ta_action_labels``:
word indices), the subject-prefixed sentence with the text; the fork reads both from its
``annos/{train,test}.json`` inside the model.

Module map (released code -> mmstvg; converter ``stcat2mmstvg.py --method tastvg``): as
:class:`CGSTVG` without ``conf``/``conf2``/``ca2``/``template_generator``, plus
``s_temporal_clas`` / ``t_temporal_clas`` -> ``appearance_sampling`` / ``motion_sampling``,
``s_spatial_clas`` / ``t_spatial_clas`` -> ``appearance_activation`` / ``motion_activation``.
"""
from typing import Dict, Iterator, Optional

import torch
import torch.nn.functional as F

from mmstvg.registry import MODELS
from .base_grounder import SampleList
from .cgstvg import CGSTVG


@MODELS.register_module()
class TASTVG(CGSTVG):
    """TA-STVG (module docstring).

    Args:
        num_attr_classes (int): appearance attribute words (APP_NUM: 15 HC-STVG, 20 VidSTG).
        num_action_classes (int): action words (MOT_NUM: 60 HC-STVG, 34 VidSTG).
        frame_thr (float): frame relevance threshold (0.7 HC-STVG, 0.45 VidSTG).
        loss_frame_weight (float): weight of both frame-relevance losses (1).
        loss_attr_weight (float): weight of both word losses (1).
        detach_memory (bool): the target-aware modules read the encoder output detached, as
            TA-STVG (True). False lets their outputs carry gradients into the encoder and the
            backbones: the frame-relevance and word losses', and the decoder losses' through
            the activation maps that weight the initial queries (the motion branch then
            learns from more than the decoder's attention to it): a training aid of the
            synthetic config, not in the paper. Inference is the same either way.
        kwargs: :class:`CGSTVG`'s arguments (a ``TASTVGDecoder``; ``loss_conf_weight`` 0).
    """

    #: features of every decoder layer, (L, B, ...): a batch's videos joined on dim 1
    layer_keys = ('layer_queries', 'layer_seq', 'layer_boxes', 'self_attn', 'attn_maps',
                  'layer_anchors')

    def __init__(self,
                 num_attr_classes: int = 15,
                 num_action_classes: int = 60,
                 frame_thr: float = 0.7,
                 loss_frame_weight: float = 1.0,
                 loss_attr_weight: float = 1.0,
                 detach_memory: bool = True,
                 **kwargs) -> None:
        kwargs.setdefault('loss_conf_weight', 0.0)
        super().__init__(**kwargs)
        d = self.encoder.embed_dims
        self.appearance_sampling = MODELS.build(
            dict(type='TextGuidedTemporalSampling', embed_dims=d))
        self.motion_sampling = MODELS.build(dict(type='TextGuidedTemporalSampling', embed_dims=d))
        self.appearance_activation = MODELS.build(
            dict(type='AttributeSpatialActivation', num_classes=num_attr_classes, embed_dims=d))
        self.motion_activation = MODELS.build(
            dict(type='AttributeSpatialActivation', num_classes=num_action_classes, embed_dims=d))
        self.num_attr_classes = num_attr_classes
        self.num_action_classes = num_action_classes
        self.frame_thr = frame_thr
        self.loss_frame_weight = loss_frame_weight
        self.loss_attr_weight = loss_attr_weight
        self.detach_memory = detach_memory

    def _queries(self, memory, f_vis, f_vid, text_query, chosen, hw):
        logits_a, act_a = self.appearance_activation(f_vis[chosen], text_query)
        logits_m, act_m = self.motion_activation(f_vid[chosen], text_query)
        box_q = self.appearance_activation.initial_query(memory[chosen][:, :hw], act_a)
        time_q = self.motion_activation.initial_query(memory[chosen][:, -hw:], act_m)
        return logits_a, logits_m, box_q, time_q

    def extract_feat(self,
                     inputs: Dict[str, torch.Tensor],
                     data_samples: Optional[SampleList] = None) -> Dict[str, torch.Tensor]:
        """Backbones, encoder (the batch together), then per video the target-aware queries and
        the decoder (module docstring; a batch gives what each of its videos gives alone, up to
        the padding of the appearance maps)."""
        enc = self.encode(inputs, data_samples)
        frame_mask = enc['frame_mask']
        if frame_mask.shape[0] == 1:
            feats = self.video_feats(enc)
        else:
            videos = [self.video_feats(video) for video in self.video_encs(enc)]
            feats = {
                key: torch.cat([v[key] for v in videos], 1 if key in self.layer_keys else 0)
                for key in videos[0]
            }
        feats['frame_mask'] = frame_mask
        feats['word_labels'] = self.word_labels(data_samples, feats['logits_attr_appearance'])
        return feats

    @staticmethod
    def video_encs(enc: Dict[str, torch.Tensor]) -> Iterator[Dict[str, torch.Tensor]]:
        """The encoder outputs of every video of the batch alone: its frames, and its real
        text tokens only (the fork's batch of one video has no text padding; the appearance
        and motion maps keep the batch's padding)."""
        frame_mask = enc['frame_mask'].bool()
        h, w = enc['feat_hw']
        hw = h * w
        num_tokens = enc['memory'].shape[1]
        text_mask = enc['text']['mask'].bool()
        start = 0
        for i, count in enumerate(frame_mask.sum(1).tolist()):
            rows = slice(start, start + count)
            start += count
            text_real = text_mask[i]
            keep = torch.cat([
                torch.arange(hw), hw + text_real.nonzero()[:, 0].cpu(),
                torch.arange(hw + text_real.shape[0], num_tokens)
            ]).to(enc['memory'].device)
            out = dict(
                enc,
                frame_mask=frame_mask[i:i + 1],
                video_tokens=enc['video_tokens'][i:i + 1],
                frame_tokens=enc['frame_tokens'][rows])
            for key in ('memory', 'memory_mask', 'memory_pos', 'encoder_pos'):
                out[key] = enc[key][rows][:, keep]
            out['text'] = dict(
                enc['text'],
                tokens=enc['text']['tokens'][i:i + 1, text_real],
                mask=enc['text']['mask'][i:i + 1, text_real])
            yield out

    def video_feats(self, enc: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Target-aware queries and decoding of one video (``enc`` of a batch of one).

        Returns:
            dict: :class:`CGSTVG`'s features (batch of one) and ``logits_frame_appearance`` /
            ``logits_frame_motion`` / ``relevance`` (N,) per real frame,
            ``logits_attr_appearance`` / ``logits_attr_motion`` (1, V).
        """
        frame_mask = enc['frame_mask']
        memory = enc['memory']  # N, S, d
        t, _, d = memory.shape
        num_cols = frame_mask.shape[1]
        h, w = enc['feat_hw']
        hw = h * w
        read = memory.detach() if self.detach_memory else memory
        f_vis = read[:, :hw].transpose(1, 2).reshape(t, d, h, w)
        f_vid = read[:, -hw:].transpose(1, 2).reshape(t, d, h, w)
        f_text = read[:, hw:-hw].mean(0)[None]  # 1, L, d
        logits_f_a = self.appearance_sampling(f_vis, f_text)
        logits_f_m = self.motion_sampling(f_vid, f_text)
        relevance = (logits_f_m.sigmoid() + logits_f_a.sigmoid()) / 2
        all_frames = (relevance > 0).nonzero()[:, 0]
        chosen = (relevance > self.frame_thr).nonzero()[:, 0]
        chosen = chosen if chosen.numel() else all_frames
        text_query = f_text[:, :1]
        logits_r_a, logits_r_m, box_q, time_q = self._queries(memory, f_vis, f_vid, text_query,
                                                              chosen, hw)

        def run(box_q, time_q):
            return self.decoder(
                enc,
                frame_mask,
                box_mlp=self.spatial_head.box_mlp,
                box_init=box_q.expand(1, num_cols, d),
                time_init=time_q.expand(1, num_cols, d),
                need_cross_weights=self.loss_attn is not None and self.training)

        dec = run(box_q, time_q)
        if not self.training:
            head = self.temporal_head
            act = head._mlp(head.actionness, dec['time_queries'])[-1, 0, :, 0].sigmoid()
            chosen = (act[frame_mask[0].bool()] > 0.5).nonzero()[:, 0]
            chosen = chosen if chosen.numel() else all_frames
            logits_r_a, logits_r_m, box_q, time_q = self._queries(memory, f_vis, f_vid, text_query,
                                                                  chosen, hw)
            dec = run(box_q, time_q)
        return dict(
            self.attention_feats(enc, dec),
            queries=dec['queries'][-1],
            seq=dec['time_queries'][-1],
            layer_queries=dec['queries'],
            layer_seq=dec['time_queries'],
            layer_boxes=dec['boxes'],
            self_attn=dec['time_self_attn'],
            logits_frame_appearance=logits_f_a,
            logits_frame_motion=logits_f_m,
            logits_attr_appearance=logits_r_a,
            logits_attr_motion=logits_r_m,
            relevance=relevance)

    def word_labels(self, data_samples: Optional[SampleList], ref: torch.Tensor):
        """Per word kind (attribute, action): None when no sample has its labels, else the
        multi-hot targets (B, V) and a (B,) bool of the samples that have them (a sample
        without labels, e.g. a query the fork's annotation lacks, has no word loss)."""
        if not data_samples:
            return None

        def multi_hot(key: str, num: int):
            rows = [sample.metainfo.get(key) for sample in data_samples]
            if all(indices is None for indices in rows):
                return None
            out = ref.new_zeros(len(rows), num)
            for i, indices in enumerate(rows):
                if indices is not None:
                    out[i, list(indices)] = 1
            has = torch.tensor([indices is not None for indices in rows], device=ref.device)
            return out, has

        return (multi_hot('ta_attr_labels', self.num_attr_classes),
                multi_hot('ta_action_labels', self.num_action_classes))

    def extra_losses(self, feats: Dict[str, torch.Tensor],
                     targets: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """The auxiliary layers' head losses (:class:`CGSTVG`) and the four target-aware
        losses of the last layer."""
        losses = super().extra_losses(feats, targets)
        in_span = targets['in_span'][feats['frame_mask'].bool()].to(
            feats['logits_frame_motion'].dtype)
        for name in ('appearance', 'motion'):
            losses[f'loss_frame_{name}'] = self.loss_frame_weight * \
                F.binary_cross_entropy_with_logits(feats[f'logits_frame_{name}'], in_span)
        labels = feats.get('word_labels')
        if labels is not None:
            for name, target in zip(('appearance', 'motion'), labels):
                if target is not None:
                    target, has = target
                    losses[f'loss_attr_{name}'] = self.loss_attr_weight * \
                        F.binary_cross_entropy_with_logits(feats[f'logits_attr_{name}'][has],
                                                           target[has])
        return losses
