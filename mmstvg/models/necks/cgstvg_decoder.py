"""The query decoder of CG-STVG (``models/grounding_model/query_decoder.py`` of HengLan/CGSTVG):
STCAT's two decoders (:class:`STCATDecoder`) with other query templates, plain (not
anchor-relative) boxes and, in CG-STVG, instance context guidance between the spatial layers.
TA-STVG's decoder is this one without guidance, started from given queries
(:class:`TASTVGDecoder`).

Differences from STCAT's decoder, from the code:

- **templates**: the anchors are ``sigmoid(pos_template(f_t))`` with ``pos_template`` =
  LayerNorm, dropout 0.1, Linear(d, 4), ReLU, LayerNorm(4) on the frame summaries ``f_t``; the
  temporal content query ``content_template(g)`` (LayerNorm, dropout, Linear(d, d), ReLU,
  LayerNorm on the video summary) is computed by the fork but *never used*: its temporal
  decoder has no content query (STCAT's temporal layer with content 0). STCAT's template
  generator is still built (in the checkpoints) and unused.
- **boxes**: layer ``l``'s box is ``sigmoid(box_mlp(x_l))`` (the un-normalised layer output,
  no anchor logit added); it is the next layer's anchor (detached).
- **guidance** (CG-STVG, :class:`InstanceContextGuidance`): after each spatial layer the
  layer's boxes give instance features, confidences (output per layer, ``conf``) and the
  context of the reliable frames; each frame query of the next layer attends to that context
  after its self-attention (:class:`ContextAnchorDecoderLayer`, the fork's ``ca2``). In
  training the reliable frames come from the ground truth (``gt``), at inference from the
  confidences and the actioness logits of the temporal decoder's last layer (``actioness``:
  the temporal decoder runs first, as in the fork).

The forks run one video per batch; here a batch holds any number, the guidance selecting and
attending to each video's own context (:meth:`CGSTVGDecoder.guide`; a batch of videos gives
what each gives alone).
"""
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn as nn

from mmstvg.registry import MODELS
from ..layers.bert_cross_layer import BertCrossLayer
from ..utils.activation_checkpoint import checkpoint_call
from .stcat_decoder import (AnchorDecoderLayer, STCATDecoder, anchor_sine_embed, inverse_sigmoid,
                            scatter_frames)


class ContextAnchorDecoderLayer(AnchorDecoderLayer):
    """STCAT's spatial decoder layer with an attention to the instance context after the
    self-attention (``context_attn``, a :class:`BertCrossLayer`)."""

    def __init__(self, embed_dims: int, num_heads: int, feedforward_channels: int, dropout: float,
                 first: bool) -> None:
        super().__init__(embed_dims, num_heads, feedforward_channels, dropout, first)
        self.context_attn = BertCrossLayer(embed_dims, num_heads, embed_dims, dropout)

    def forward(self,
                x: torch.Tensor,
                anchor_pos: torch.Tensor,
                anchor_sine: torch.Tensor,
                time_pos: torch.Tensor,
                memory: torch.Tensor,
                memory_pos: torch.Tensor,
                memory_mask: torch.Tensor,
                frame_mask: torch.Tensor,
                context: Optional[List[Optional[torch.Tensor]]] = None,
                need_weights: bool = False):
        """As :meth:`AnchorDecoderLayer.forward`; ``context`` holds per video a (K, d) context
        (or None) that its frame queries attend to."""
        x = self.self_attention(x, anchor_pos, time_pos, frame_mask)
        if context is not None:
            rows = []
            for i, ctx in enumerate(context):
                xi = x[i]
                if ctx is not None:
                    xi = self.context_attn(xi[:, None], ctx.expand(xi.shape[0], -1, -1))[0][:, 0]
                rows.append(xi)
            x = torch.stack(rows)
        return self.cross_attention_ffn(x, anchor_pos, anchor_sine, memory, memory_pos,
                                        memory_mask, frame_mask, need_weights)


def _template(d: int, out: int, dropout: float = 0.1) -> nn.Sequential:
    return nn.Sequential(
        nn.LayerNorm(d, eps=1e-12), nn.Dropout(dropout), nn.Linear(d, out), nn.ReLU(True),
        nn.LayerNorm(out, eps=1e-12))


@MODELS.register_module()
class CGSTVGDecoder(STCATDecoder):
    """CG-STVG's decoder (module docstring).

    Args:
        guidance (dict, optional): :class:`InstanceContextGuidance` config; None: no guidance
            (the layers' context attention is then unused).
        args, kwargs: :class:`STCATDecoder`'s arguments.
    """
    box_layer_type = ContextAnchorDecoderLayer

    def __init__(self, *args, guidance: Optional[dict] = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        d = self.embed_dims
        self.pos_template = _template(d, 4)
        self.content_template = _template(d, d)
        self.guidance = MODELS.build(guidance) if guidance else None
        new = [self.pos_template, self.content_template, self.guidance]
        for module in new:  # the fork's Xavier initialisation covers them too
            for p in (module.parameters() if module is not None else ()):
                if p.dim() > 1:
                    nn.init.xavier_uniform_(p)

    def templates(self, enc: Dict[str, torch.Tensor],
                  frame_mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """(B, T, 4) initial anchors and (B, T, d) zero temporal content (unused by the fork)."""
        anchors = self.pos_template(enc['frame_tokens']).sigmoid()
        anchors = scatter_frames(anchors, frame_mask)
        return anchors, anchors.new_zeros(*anchors.shape[:2], self.embed_dims)

    def guide(
        self,
        memory: torch.Tensor,
        feat_size: Tuple[int, int],
        boxes: torch.Tensor,
        counts: List[int],
        actioness: Optional[torch.Tensor] = None,
        gt: Optional[List[Tuple[torch.Tensor, torch.Tensor]]] = None
    ) -> Tuple[torch.Tensor, List[Optional[torch.Tensor]]]:
        """The guidance of every video on its own frames (the fork's, which runs one video).

        Args:
            memory (Tensor): (N, S, d) encoder tokens of the real frames, video after video.
            feat_size (tuple): (h, w).
            boxes (Tensor): (N, 4) the layer's detached boxes.
            counts (list[int]): frames per video (sum N).
            actioness (Tensor, optional): (N,) actioness logits (inference selection).
            gt (list[tuple], optional): per video (gt_boxes (G, 4) cxcywh, gt_frames (G,)
                indices among its frames) (training selection).

        Returns:
            tuple: ``conf`` (N,) and per video its (2K, d) context or None.
        """
        if gt is not None:
            selections = [dict(gt_boxes=boxes_i, gt_frames=frames_i) for boxes_i, frames_i in gt]
        else:
            selections = [dict(actioness=a) for a in actioness.split(counts)]
        confs, contexts = [], []
        videos = zip(memory.transpose(0, 1).split(counts, 1), boxes.split(counts), selections)
        for mem, box, sel in videos:
            g = self.guidance(mem, feat_size, box, **sel)
            confs.append(g['conf'])
            contexts.append(g['context'])
        return torch.cat(confs), contexts

    def decode_guided(self,
                      enc: Dict[str, torch.Tensor],
                      anchors: torch.Tensor,
                      time_pos: torch.Tensor,
                      frame_mask: torch.Tensor,
                      box_mlp: Callable,
                      actioness: Optional[torch.Tensor] = None,
                      gt: Optional[Tuple[torch.Tensor, torch.Tensor]] = None,
                      init: Optional[torch.Tensor] = None,
                      need_cross_weights: bool = False) -> Dict[str, torch.Tensor]:
        """The spatial decoder with plain boxes (and guidance); with ``box_reference``
        (:class:`STCATDecoder`) every layer's box is relative to its attention anchor
        (:meth:`STCATDecoder.attention_anchor`: the previous box, or the template, with the
        centre replaced by the centroid of the layer's cross-attention), as STCAT's.

        Args:
            anchors (Tensor): (B, T, 4) templates.
            box_mlp (callable): the spatial head's box MLP.
            actioness (Tensor, optional): (N,) actioness logits (inference selection).
            gt (list[tuple], optional): per video (gt_boxes (G, 4) cxcywh, gt_frames (G,))
                (training selection, :meth:`guide`).
            init (Tensor, optional): (B, T, d) initial queries (zeros).
            need_cross_weights (bool): also return the cross-attention weights.

        Returns:
            dict: ``queries`` (L, B, T, d) the layers' outputs (not normalised), ``boxes``
            (L, B, T, 4), with guidance ``conf`` (L, B, T), with ``box_reference``
            ``anchors`` (L, B, T, 4) the reference of every layer's box, and with either
            option ``cross_attn`` (L, N, S) (:meth:`STCATDecoder.forward`).
        """
        d = self.embed_dims
        memory, memory_pos, memory_mask = enc['memory'], enc['memory_pos'], enc['memory_mask']
        x = anchors.new_zeros(*anchors.shape[:2], d) if init is None else init
        counts = frame_mask.sum(1).tolist()
        queries, boxes, confs, refs, weights = [], [], [], [], []
        need_weights = need_cross_weights or self.box_reference is not None
        context = None
        for i, layer in enumerate(self.box_layers):
            sine = anchor_sine_embed(anchors, d // 2)
            anchor_pos = self.anchor_pos(sine)
            scale = 1 if i == 0 else self.anchor_scale(x)
            args = (x, anchor_pos, sine[..., :d] * scale, time_pos, memory, memory_pos,
                    memory_mask, frame_mask)
            if self.guidance is not None:
                args += (context, )
            x = checkpoint_call(layer, self.with_cp, *args,
                                **(dict(need_weights=True) if need_weights else {}))
            if need_weights:
                x, w = x
                weights.append(w)
            if self.box_reference is None:
                new = box_mlp(x).sigmoid()
            else:
                refs.append(self.attention_anchor(enc, w, anchors, frame_mask))
                new = (box_mlp(x) + inverse_sigmoid(refs[-1])).sigmoid()
            queries.append(x)
            boxes.append(new)
            anchors = new.detach()
            if self.guidance is not None:
                conf, context = self.guide(memory, enc['feat_hw'], anchors[frame_mask], counts,
                                           actioness, gt)
                confs.append(scatter_frames(conf, frame_mask))
        out = dict(queries=torch.stack(queries), boxes=torch.stack(boxes))
        if confs:
            out['conf'] = torch.stack(confs)
        if refs:
            out['anchors'] = torch.stack(refs)
        if weights:
            out['cross_attn'] = torch.stack(weights)
        return out

    def forward(self,
                enc: Dict[str, torch.Tensor],
                frame_mask: torch.Tensor,
                box_mlp: Optional[Callable] = None,
                actioness_fn: Optional[Callable] = None,
                gt: Optional[Tuple[torch.Tensor, torch.Tensor]] = None,
                box_init: Optional[torch.Tensor] = None,
                time_init: Optional[torch.Tensor] = None,
                need_cross_weights: bool = False) -> Dict[str, torch.Tensor]:
        """Decode (temporal decoder first, then the guided spatial decoder).

        Args:
            enc (dict): the encoder's outputs.
            frame_mask (Tensor): (B, T) bool.
            box_mlp (callable): the spatial head's box MLP.
            actioness_fn (callable, optional): (B, T, d) -> (B, T, 1) actioness logits (the
                temporal head's), for the inference selection of the guidance.
            gt (list[tuple], optional): ground truth for the training selection (see
                :meth:`guide`).
            box_init, time_init (Tensor, optional): (B, T, d) initial queries of the spatial /
                temporal decoder (TA-STVG).
            need_cross_weights (bool): also return the spatial decoder's cross-attention
                weights (``cross_attn``).

        Returns:
            dict: ``queries``, ``boxes`` (, ``conf``) (:meth:`decode_guided`),
            ``time_queries`` (L, B, T, d), ``time_self_attn`` (L, B, T, T).
        """
        frame_mask = frame_mask.bool()
        anchors, content = self.templates(enc, frame_mask)
        time_pos = self.time_pos_of(frame_mask.shape[1]).to(anchors.dtype)[None]
        time_queries, weights = self.decode_time(
            enc, content, time_pos, frame_mask, init=time_init)
        actioness = None
        if self.guidance is not None and gt is None:
            actioness = actioness_fn(time_queries[-1])[frame_mask][:, 0]
        out = self.decode_guided(enc, anchors, time_pos, frame_mask, box_mlp, actioness, gt,
                                 box_init, need_cross_weights)
        out.update(time_queries=time_queries, time_self_attn=weights)
        return out


@MODELS.register_module()
class TASTVGDecoder(CGSTVGDecoder):
    """TA-STVG's decoder (``models/grounding_model/query_decoder.py`` of HengLan/TA-STVG):
    CG-STVG's without guidance and without STCAT's template generator, started from given
    queries (TA-STVG's target-aware initial queries), each decoder reading its part of the
    memory:

    - spatial decoder: the appearance and text tokens (``memory[:, :-hw]``), positions
      ``[sine, 0]``;
    - temporal decoder: the text and motion tokens (``memory[:, hw:]``), positions ``[0, sine]``;
    - each with the padding mask of its tokens. The fork gives both the mask of the *first*
      ``hw + L`` tokens (``encoded_mask[:, :-hw]``, also for the temporal decoder, whose tokens
      are the last ``L + hw``): the same values whenever nothing is padded, as in the fork's
      batch of one video (and in :class:`TASTVG`'s, which decodes video by video without text
      padding); with padded appearance maps (a batch of frames of different sizes) the fork's
      would mask text and motion tokens at the padded cells' positions.
    """
    box_layer_type = AnchorDecoderLayer

    def __init__(self, *args, **kwargs) -> None:
        kwargs['guidance'] = None
        super().__init__(*args, **kwargs)
        del self.template  # TA-STVG has no template generator

    def forward(self,
                enc: Dict[str, torch.Tensor],
                frame_mask: torch.Tensor,
                box_mlp: Optional[Callable] = None,
                box_init: Optional[torch.Tensor] = None,
                time_init: Optional[torch.Tensor] = None,
                need_cross_weights: bool = False,
                **kwargs) -> Dict[str, torch.Tensor]:
        """Decode from the initial queries ``box_init`` / ``time_init`` (B, T, d) (zeros when
        None); outputs as :meth:`CGSTVGDecoder.forward`."""
        frame_mask = frame_mask.bool()
        h, w = enc['feat_hw']
        hw = h * w
        box_enc = dict(
            enc,
            memory=enc['memory'][:, :-hw],
            memory_pos=enc['memory_pos'][:, :-hw],
            memory_mask=enc['memory_mask'][:, :-hw])
        time_enc = dict(
            enc,
            memory=enc['memory'][:, hw:],
            memory_pos=enc['encoder_pos'][:, hw:],
            memory_mask=enc['memory_mask'][:, hw:])
        anchors, content = self.templates(enc, frame_mask)
        time_pos = self.time_pos_of(frame_mask.shape[1]).to(anchors.dtype)[None]
        time_queries, weights = self.decode_time(
            time_enc, content, time_pos, frame_mask, init=time_init)
        out = self.decode_guided(
            box_enc,
            anchors,
            time_pos,
            frame_mask,
            box_mlp,
            init=box_init,
            need_cross_weights=need_cross_weights)
        out.update(time_queries=time_queries, time_self_attn=weights)
        return out
