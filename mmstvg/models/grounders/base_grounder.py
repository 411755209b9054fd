"""Base class of every mmstvg grounder (the assembled model, like mmdet's ``BaseDetector``),
and the template every grounder with a spatial and a temporal head follows (as mmaction2's
``BaseRecognizer`` and mmdet's ``SingleStageDetector``).

A grounder maps a batch of (video, sentence) pairs to tubes. ``forward`` dispatches on
``mode`` as every mmengine model does:

- ``'loss'``: ``dict`` of losses;
- ``'predict'``: list of :class:`~mmstvg.structures.STVGDataSample` with ``pred_tube`` in
  ORIGINAL frame indices and ORIGINAL pixels (see ``docs/data_flow.md``);
- ``'tensor'``: the features and the raw head outputs.

A model implements only its feature extraction, :meth:`BaseGrounder.extract_feat`: inputs ->
the dict of features both heads read (the contract of
``mmstvg/models/heads/base_grounding_head.py``: ``maps``, ``seq``, ``queries``,
``ref_centers``, ``frame_mask``, and whatever else the model's heads or its extra losses need,
such as attention maps or per-layer queries). It builds its heads with
:meth:`BaseGrounder.build_heads` (``spatial_head``: one box per frame; ``temporal_head``: one
span per sample), and ``BaseGrounder`` does the rest, once for every model:

- ``loss``: :meth:`~BaseGrounder.get_targets`, both heads' ``loss``, and the model's own
  terms (:meth:`~BaseGrounder.extra_losses`, e.g. auxiliary decodings, attention
  supervision);
- ``predict``: one forward per batch, or, for samples of several passes (``num_passes`` in
  the metainfo, ``SampleSTVGFrames(multi_pass=True)``), the passes of each sample run
  ``test_cfg['pass_batch']`` at a time (:meth:`~BaseGrounder._run_passes`); then the heads'
  decoding and :meth:`~BaseGrounder.predict_tubes`;
- ``_forward`` (``'tensor'``): the features and both heads' outputs.

The mapping from the pipeline's pixel space back to the original video (resize, crop, flip)
and from sampled frame positions back to original frame indices lives here, once
(:meth:`BaseGrounder.predict_tubes`), as do the heads' training targets
(:meth:`BaseGrounder.get_targets`); heads share one interface
(``mmstvg/models/heads/base_grounding_head.py``), so a grounder never asks which head it has.

Test-time options (``test_cfg`` of every grounder, as mmdet's detectors take one):

- ``use_gt_span`` (bool, default False): spatial grounding given the temporal ground truth
  (GKCMN's Table 2, "evaluation results with the temporal ground truth"). The predicted span
  is replaced by the GT span before the tube is decoded: ``pred_tube.span`` is
  ``gt_tube.span`` and the tube carries the spatial head's box at every sampled frame inside
  it (the metric interpolates between them). The temporal head still runs; its span and
  score are dropped. It needs the GT tube at test time (``LoadTubeTargets`` in the test
  pipeline, an annotated split).
- ``pass_batch`` (int, default 4): multi-pass inference runs at most this many passes of a
  sample through the network together (as mmaction2's ``max_testing_views``); it bounds
  memory and changes nothing else.
"""
from abc import ABCMeta
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.distributed as dist
from mmengine.logging import MessageHub
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement

from mmstvg.registry import MODELS
from mmstvg.structures import STVGDataSample, Tube, positions_to_span
from ..heads import BaseSpatialHead, BaseTemporalHead

SampleList = List[STVGDataSample]


class BaseGrounder(BaseModel, metaclass=ABCMeta):
    """Base grounder (see the module docstring).

    A subclass builds its feature extractor, then its heads (:meth:`build_heads`), and
    implements :meth:`extract_feat`; :meth:`extra_losses` if it trains more than the heads'
    losses. A grounder without heads (``TrivialGrounder``) overrides ``loss``, ``predict``
    and ``_forward`` instead.

    Args:
        data_preprocessor (dict, optional): Config of the data preprocessor
            (``STVGDataPreprocessor``).
        init_cfg (dict or list[dict], optional): Initialisation config.
        test_cfg (dict, optional): test-time options (module docstring): ``use_gt_span``,
            ``pass_batch``. Defaults to None (none set).
    """

    #: how :meth:`predict_tubes` turns a run of sampled positions into a span of original
    #: frames (a model may set its own, e.g. TubeDETR's ``'sampled_frames'``)
    span_rule: str = 'midpoint'
    #: keys of ``test_cfg``
    TEST_CFG_KEYS = ('use_gt_span', 'pass_batch')
    #: Earlier names of the heads -> their names now (issue 23: every grounder names its heads
    #: ``spatial_head`` and ``temporal_head``). A checkpoint saved with an earlier name loads
    #: (:meth:`_load_from_state_dict`).
    LEGACY_HEAD_NAMES = {'bbox_head': 'spatial_head', 'span_head': 'temporal_head'}
    #: Inputs with one entry per sampled frame, (B, N, ...): multi-pass inference splits them
    #: into the passes; every other input (``text``, a dict of (B, ...) tensors, or a (B, ...)
    #: tensor) is per sample and repeated for every pass. A model reading another per-frame
    #: input adds its key.
    FRAME_INPUT_KEYS = ('imgs', 'features', 'frame_mask')

    def __init__(self,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None,
                 test_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        test_cfg = dict(test_cfg or {})
        unknown = sorted(set(test_cfg) - set(self.TEST_CFG_KEYS))
        if unknown:
            raise ValueError(f'unknown test_cfg key(s) {unknown} of {type(self).__name__}; '
                             f'known: {list(self.TEST_CFG_KEYS)}')
        pass_batch = test_cfg.get('pass_batch', 4)
        if isinstance(pass_batch, bool) or not isinstance(pass_batch, int) or pass_batch < 1:
            raise ValueError(f'test_cfg.pass_batch must be a positive int, got {pass_batch!r}')
        self.test_cfg = test_cfg

    def build_heads(self, spatial_head: dict, temporal_head: dict) -> None:
        """Build the two heads, ``self.spatial_head`` (a ``BaseSpatialHead``: one box per
        frame) and ``self.temporal_head`` (a ``BaseTemporalHead``: one span per sample).

        Called by a subclass's ``__init__`` once its feature extractor is built (as mmdet's
        detectors build backbone, neck, then head; the order of the parameters in the state
        dict, in a seeded initialisation and in the optimiser's state follows it).
        """
        if type(self).extract_feat is BaseGrounder.extract_feat:
            raise TypeError(f'{type(self).__name__} builds heads but implements no '
                            '`extract_feat` (the features its heads read)')
        self.spatial_head = MODELS.build(spatial_head)
        self.temporal_head = MODELS.build(temporal_head)
        for name, base in (('spatial_head', BaseSpatialHead), ('temporal_head', BaseTemporalHead)):
            head = getattr(self, name)
            if not isinstance(head, base):
                raise TypeError(f'{type(self).__name__}.{name} must be a {base.__name__}, got '
                                f'{type(head).__name__}')

    @property
    def with_heads(self) -> bool:
        """Whether the grounder has built its heads (:meth:`build_heads`)."""
        return 'spatial_head' in self._modules and 'temporal_head' in self._modules

    def _check_heads(self) -> None:
        if not self.with_heads:
            raise NotImplementedError(
                f'{type(self).__name__} has no heads: call `self.build_heads(spatial_head, '
                'temporal_head)` in its __init__, or override loss / predict / _forward')

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        """Load a checkpoint whose heads carry an earlier name (:attr:`LEGACY_HEAD_NAMES`).

        As mmdet's ``SingleStageDetector`` loads ``rpn_head`` weights as ``bbox_head``: the
        keys ``<old>.*`` are renamed ``<new>.*`` (in the loader's copy of the state dict) when
        the grounder has a ``<new>`` module and no ``<old>`` one, and the state dict has no
        ``<new>.*`` key. Both torch's ``load_state_dict`` and mmengine's ``load_checkpoint``
        (``init_cfg=dict(type='Pretrained')``, ``--resume``, ``load_from``) call this first
        for the grounder, then for its children, which then find their keys. (The renamed
        heads load without their saved ``_version`` metadata, as from a checkpoint saved
        without it; only version-dependent layers such as BatchNorm read it, and no head has
        one.)
        """
        for old, new in self.LEGACY_HEAD_NAMES.items():
            if old in self._modules or new not in self._modules:
                continue
            old_prefix, new_prefix = f'{prefix}{old}.', f'{prefix}{new}.'
            old_keys = [k for k in state_dict if k.startswith(old_prefix)]
            if not old_keys or any(k.startswith(new_prefix) for k in state_dict):
                continue
            for key in old_keys:
                state_dict[new_prefix + key[len(old_prefix):]] = state_dict.pop(key)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    @property
    def use_gt_span(self) -> bool:
        """Whether the predicted span is replaced by the GT span (``test_cfg``)."""
        return bool(self.test_cfg.get('use_gt_span', False))

    @property
    def pass_batch(self) -> int:
        """Passes of a sample run together at multi-pass inference (``test_cfg``)."""
        return int(self.test_cfg.get('pass_batch', 4))

    def forward(self,
                inputs: Dict[str, torch.Tensor],
                data_samples: Optional[SampleList] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}". Only supports loss, predict and tensor.')

    def parse_losses(self, losses: Dict[str, torch.Tensor]):
        """mmengine's loss reduction, then a stop on a non-finite loss.

        The check runs before ``backward`` and the optimiser step, so a NaN/inf loss never
        reaches the weights (nor, through them, a later checkpoint): the run stops with a
        :class:`FloatingPointError` naming the iteration and the offending terms. Under
        distributed training the flag is all-reduced, so every rank stops together instead of
        the others waiting in DDP's gradient all-reduce.
        """
        loss, log_vars = super().parse_losses(losses)
        bad = torch.logical_not(torch.isfinite(loss.detach())).to(torch.float32).reshape(1)
        if dist.is_available() and dist.is_initialized():
            dist.all_reduce(bad, op=dist.ReduceOp.MAX)
        if bad.item() > 0:
            hub = MessageHub.get_current_instance()
            it = hub.get_info('iter')
            where = 'at iteration ' + (str(it + 1) if it is not None else '?')
            terms = {
                k: float(torch.as_tensor(v).detach().float().mean())
                for k, v in log_vars.items()
            }
            raise FloatingPointError(
                f'non-finite loss {where} (on this or another rank): {terms}. Training stopped '
                'before the update, so the weights and the last checkpoint are intact; '
                'resume from it with a lower learning rate, gradient clipping or fp32.')
        return loss, log_vars

    # ----------------------------------------------------------------- template
    def extract_feat(self,
                     inputs: Dict[str, Any],
                     data_samples: Optional[SampleList] = None) -> Dict[str, Any]:
        """The features both heads read, from a batch of inputs (what a model implements).

        Args:
            inputs (dict): the data preprocessor's batch: ``frame_mask`` (B, N) bool,
                ``text`` = dict(input_ids (B, L), attention_mask (B, L)), and ``imgs``
                (B, N, 3, H, W) and / or ``features`` (B, N, ...).
            data_samples (list, optional): the samples (their metainfo: image shapes, ...).

        Returns:
            dict: the features (``mmstvg/models/heads/base_grounding_head.py``): some of
            ``maps`` (B, C, N, h, w), ``seq`` (B, N, C), ``queries`` (B, N, C),
            ``ref_centers`` (B, N, 2), and ``frame_mask`` (B, N) bool (taken from the inputs
            when missing); anything else the model's heads or :meth:`extra_losses` read
            (queries of earlier decoder layers, attention maps, reference points) rides
            along under its own key.
        """
        raise NotImplementedError(f'{type(self).__name__} implements no `extract_feat`')

    def _extract(self, inputs: Dict[str, Any],
                 data_samples: Optional[SampleList]) -> Dict[str, Any]:
        self._check_heads()
        feats = self.extract_feat(inputs, data_samples)
        if feats.get('frame_mask') is None:
            feats['frame_mask'] = inputs['frame_mask']
        return feats

    def _forward(self,
                 inputs: Dict[str, Any],
                 data_samples: Optional[SampleList] = None) -> Dict[str, Any]:
        """Network forward without post-processing (``mode='tensor'``).

        Returns:
            dict: ``feats`` (:meth:`extract_feat`), ``spatial`` and ``temporal`` (the heads'
            ``forward`` outputs on them).
        """
        feats = self._extract(inputs, data_samples)
        return dict(
            feats=feats, spatial=self.spatial_head(feats), temporal=self.temporal_head(feats))

    def loss(self, inputs: Dict[str, Any], data_samples: SampleList) -> Dict[str, torch.Tensor]:
        """Losses of a batch: the spatial head's, the temporal head's (their loss configs
        hold the weights) and the model's :meth:`extra_losses`, on :meth:`get_targets`."""
        feats = self._extract(inputs, data_samples)
        targets = self.get_targets(data_samples, inputs['frame_mask'])
        losses = dict(self.spatial_head.loss(feats, targets))
        for extra in (self.temporal_head.loss(feats, targets), self.extra_losses(feats, targets)):
            clash = sorted(set(losses) & set(extra))
            if clash:
                raise KeyError(f'{type(self).__name__}: loss term(s) {clash} computed twice '
                               '(by the spatial head, the temporal head or extra_losses); '
                               'rename them in one of them')
            losses.update(extra)
        return losses

    def extra_losses(self, feats: Dict[str, Any],
                     targets: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """A model's loss terms besides its heads' (none by default).

        Args:
            feats (dict): :meth:`extract_feat`'s features (with the model's own entries).
            targets (dict): :meth:`get_targets`.

        Returns:
            dict: more loss terms (names other than the heads' terms).
        """
        return {}

    def attention_losses(self, feats: Dict[str, Any], targets: Dict[str, torch.Tensor],
                         layer: int) -> Dict[str, torch.Tensor]:
        """The attention losses of decoder layer ``layer``, each when the grounder has it:
        ``loss_guided_attn`` (its ``self.loss_guided_attn``, ``GuidedAttentionLoss``) on
        ``feats['self_attn'][layer]`` (B, T, T), and ``loss_attn`` (its ``self.loss_attn``,
        ``SpatialAttentionLoss``) on the in-span frames of ``feats['attn_maps'][layer]``
        (B, T, h, w) (each map renormalised) against the GT boxes (TubeDETR and the STCAT
        family)."""
        losses = {}
        loss_guided_attn = getattr(self, 'loss_guided_attn', None)
        loss_attn = getattr(self, 'loss_attn', None)
        if loss_guided_attn is not None:
            losses['loss_guided_attn'] = loss_guided_attn(feats['self_attn'][layer],
                                                          targets['in_span'],
                                                          targets['frame_mask'])
        if loss_attn is not None and 'attn_maps' in feats:
            in_span = targets['in_span']
            a = feats['attn_maps'][layer][in_span]
            a = a / a.flatten(1).sum(1).clamp(min=1e-6)[:, None, None]
            losses['loss_attn'] = loss_attn(a, targets['gt_boxes'][in_span])
        return losses

    def predict(self, inputs: Dict[str, Any], data_samples: SampleList) -> SampleList:
        """Predict tubes; fills ``pred_tube`` of every data sample and returns them.

        Samples of one pass run as one batch. A sample of P passes (``num_passes`` in its
        metainfo; its N sampled frames are the passes interleaved, pass ``p`` holding
        positions ``p, p + P, ...``) runs as P sequences of N / P frames
        (:meth:`_run_passes`); the temporal head decodes the span from the passes' scores
        averaged per segment, and every frame keeps the box of the pass that sampled it.
        """
        self._check_heads()
        passes = self.num_passes_of(data_samples)
        if all(p == 1 for p in passes):
            out = self._forward(inputs, data_samples)
            return self.decode_tubes(out, inputs['frame_mask'], data_samples)
        for i, sample in enumerate(data_samples):
            length = len(sample.metainfo['frame_inds'])
            out = self._run_passes(inputs, i, sample, length // passes[i], passes[i])
            self.decode_tubes(out, out['frame_mask'], [sample], passes[i])
        return data_samples

    def decode_tubes(self,
                     outs: Dict[str, Any],
                     frame_mask: torch.Tensor,
                     data_samples: SampleList,
                     num_passes: int = 1) -> SampleList:
        """Decode the heads' outputs into the samples' ``pred_tube``.

        Args:
            outs (dict): ``spatial`` and ``temporal``, the heads' outputs for
                ``len(data_samples) * num_passes`` sequences (each sample's passes
                consecutive).
            frame_mask (Tensor): (B * P, T) bool.
            data_samples (list): the samples.
            num_passes (int): P.
        """
        boxes, _ = self.spatial_head.predict_by_feat(outs['spatial'])
        spans = self.temporal_head.predict_by_feat(outs['temporal'], frame_mask, num_passes)
        return self.predict_tubes(data_samples, boxes, spans, num_passes, span_rule=self.span_rule)

    @staticmethod
    def num_passes_of(data_samples: SampleList) -> List[int]:
        """Passes of every sample (metainfo ``num_passes``, 1 when absent).

        Raises:
            ValueError: a sample's sampled frames do not split into its passes.
        """
        passes = [int(s.metainfo.get('num_passes', 1) or 1) for s in data_samples]
        for p, s in zip(passes, data_samples):
            n = len(s.metainfo['frame_inds'])
            if n % p:
                raise ValueError(f'query {s.metainfo.get("qid")!r}: {n} frames do not split '
                                 f'into {p} passes')
        return passes

    def _pass_inputs(self, inputs: Dict[str, Any], index: int, num_frames: int,
                     num_passes: int) -> Dict[str, Any]:
        """The ``num_passes`` passes of sample ``index`` as a batch of (P, T) sequences
        (pass ``p`` = positions ``p, p + P, ...``): the per-frame inputs
        (:attr:`FRAME_INPUT_KEYS`) are split, the others repeated."""
        pos = torch.arange(num_frames * num_passes, device=inputs['frame_mask'].device)
        pos = pos.view(num_frames, num_passes).t()  # (P, T): pos[p, k] = k * P + p

        def repeat(v):
            return v[index:index + 1].expand(num_passes, *v.shape[1:])

        out = {}
        for key, value in inputs.items():
            if key in self.FRAME_INPUT_KEYS:
                out[key] = value[index][pos]
            elif isinstance(value, dict):
                out[key] = {k: repeat(v) for k, v in value.items()}
            elif isinstance(value, torch.Tensor):
                out[key] = repeat(value)
            else:
                raise TypeError(f'multi-pass inference cannot split the input {key!r} '
                                f'({type(value).__name__}) into passes')
        return out

    def mask_pass_padding(self, batch: Dict[str, Any], sample: STVGDataSample,
                          num_passes: int) -> Dict[str, Any]:
        """The passes of one sample (:meth:`_pass_inputs`) before they run; here unchanged:
        frames repeated by the multi-pass sampling are real frames of their passes, their
        boxes averaged. Grounders whose released evaluation runs passes of unequal length mark
        the copies as padding (:meth:`STCAT.mask_pass_padding`)."""
        return batch

    def _run_passes(self, inputs: Dict[str, Any], index: int, sample: STVGDataSample,
                    num_frames: int, num_passes: int) -> Dict[str, Any]:
        """Run all passes of one sample, ``test_cfg['pass_batch']`` at a time.

        :meth:`extract_feat` gets the sample once per pass of the chunk as its data samples
        (their metainfo, e.g. ``frame_inds``, describes all the passes' frames together).

        Returns:
            dict: ``spatial`` and ``temporal``, the heads' outputs for the (P, T) passes
            (concatenated along the batch), and ``frame_mask`` (P, T).
        """
        batch = self.mask_pass_padding(
            self._pass_inputs(inputs, index, num_frames, num_passes), sample, num_passes)
        step = self.pass_batch

        def chunk_of(value, s):
            if isinstance(value, dict):
                return {k: v[s:s + step] for k, v in value.items()}
            return value[s:s + step]

        outs = []
        for s in range(0, num_passes, step):
            chunk = {key: chunk_of(value, s) for key, value in batch.items()}
            out = self._forward(chunk, [sample] * chunk['frame_mask'].shape[0])
            outs.append(dict(spatial=out['spatial'], temporal=out['temporal']))
        return dict(
            frame_mask=batch['frame_mask'],
            **{
                part: {
                    k: torch.cat([o[part][k] for o in outs])
                    for k in outs[0][part]
                }
                for part in ('spatial', 'temporal')
            })

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def img_wh(data_samples: SampleList, ref: torch.Tensor) -> torch.Tensor:
        """(B, 1, 4) [W, H, W, H] of each sample's frames in pipeline pixels."""
        wh = [[s.metainfo['img_shape'][1], s.metainfo['img_shape'][0]] * 2 for s in data_samples]
        return torch.as_tensor(wh, dtype=ref.dtype, device=ref.device)[:, None]

    @classmethod
    def get_targets(cls, data_samples: SampleList,
                    frame_mask: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Per-frame training targets of a batch, the ``targets`` every head's
        ``loss_by_feat`` reads (``mmstvg/models/heads/base_grounding_head.py``).

        Args:
            data_samples (list): samples with ``gt_tube.frame_bboxes`` ((N_i, 4) pipeline
                pixels) and ``gt_tube.frame_in_span`` ((N_i, ) bool).
            frame_mask (Tensor): (B, N) bool, real frames.

        Returns:
            dict: ``gt_boxes`` (B, N, 4) float32 normalised xyxy, ``in_span`` (B, N) bool (in
            the GT span and not padding) and ``frame_mask`` (B, N) bool.
        """
        b, n = frame_mask.shape
        gt_boxes = torch.zeros(b, n, 4, device=frame_mask.device)
        in_span = torch.zeros_like(frame_mask)
        for i, sample in enumerate(data_samples):
            k = sample.gt_tube.frame_in_span.shape[0]
            gt_boxes[i, :k] = sample.gt_tube.frame_bboxes.to(gt_boxes)
            in_span[i, :k] = sample.gt_tube.frame_in_span.to(in_span)
        return dict(
            gt_boxes=gt_boxes / cls.img_wh(data_samples, gt_boxes),
            in_span=in_span & frame_mask,
            frame_mask=frame_mask)

    @staticmethod
    def boxes_to_original(boxes: torch.Tensor, metainfo: dict) -> torch.Tensor:
        """Map xyxy boxes from the pipeline's pixel space to the original video.

        Undoes, in reverse order of application, the horizontal flip (``flip`` and
        ``flip_direction``), a resize applied after the crop, the crop (``crop_bbox`` =
        [x1, y1, x2, y2] of the crop in the frame it was cut from, as mmaction2's crops record
        it) and the resize before it. ``scale_factor`` ([w_scale, h_scale]) is the product of
        every resize (mmaction2's ``Resize`` accumulates it); the part applied after the crop
        is ``img_shape / crop size``, the rest came before it. The result is clipped to the
        original frame (``ori_shape``).

        Args:
            boxes (Tensor): (K, 4) xyxy in pipeline pixels.
            metainfo (dict): the data sample's metainfo.

        Returns:
            Tensor: (K, 4) xyxy in original pixels.
        """
        boxes = boxes.clone()
        img_h, img_w = metainfo['img_shape'][:2]
        if metainfo.get('flip', False) and \
                metainfo.get('flip_direction', 'horizontal') == 'horizontal':
            boxes[:, [0, 2]] = img_w - boxes[:, [2, 0]]
        scale = metainfo.get('scale_factor')
        scale = np.ones(2) if scale is None else \
            np.asarray(scale, dtype=np.float64).reshape(-1)[[0, -1]]
        crop = metainfo.get('crop_bbox')
        if crop is not None:
            crop = [float(c) for c in crop]
            post = np.array([img_w / (crop[2] - crop[0]), img_h / (crop[3] - crop[1])])
            boxes[:, [0, 2]] = boxes[:, [0, 2]] / float(post[0]) + crop[0]
            boxes[:, [1, 3]] = boxes[:, [1, 3]] / float(post[1]) + crop[1]
            scale = scale / post
        boxes[:, [0, 2]] /= float(scale[0])
        boxes[:, [1, 3]] /= float(scale[1])
        ori_h, ori_w = metainfo['ori_shape'][:2]
        boxes[:, [0, 2]] = boxes[:, [0, 2]].clamp(0, ori_w)
        boxes[:, [1, 3]] = boxes[:, [1, 3]].clamp(0, ori_h)
        return boxes

    @staticmethod
    def make_pred_tube(span: Sequence[int],
                       frame_ids: torch.Tensor,
                       bboxes: torch.Tensor,
                       score: Optional[float] = None) -> BaseDataElement:
        """Build a ``pred_tube`` element (see ``mmstvg.structures.stvg_data_sample``)."""
        return Tube(span, frame_ids, bboxes).to_element(score)

    @staticmethod
    def check_span_rule(span_rule: str) -> str:
        """``span_rule`` if :meth:`predict_tubes` knows it, else a ValueError."""
        if span_rule not in ('midpoint', 'sampled_frames'):
            raise ValueError(f'span_rule must be "midpoint" or "sampled_frames", got '
                             f'{span_rule!r}')
        return span_rule

    def predict_tubes(self,
                      data_samples: SampleList,
                      boxes: torch.Tensor,
                      spans: Sequence[tuple],
                      num_passes: int = 1,
                      span_rule: str = 'midpoint',
                      span_positions: bool = False) -> SampleList:
        """Fill ``pred_tube`` of every sample from the heads' decoded outputs.

        Args:
            data_samples (list): the samples (metainfo ``frame_inds``, ``clip``, shapes).
            boxes (Tensor): (B * P, T, 4) normalised xyxy boxes (the spatial head's
                ``predict_by_feat``; any float dtype, the tube's boxes are float32); sample
                ``k``'s passes are rows ``k * P ... k * P + P - 1``
                and pass ``p`` holds positions ``p, p + P, ...`` of the sample.
            spans (Sequence[tuple]): per sample ``(i, j, score)``, the first and last of its
                T segments (the temporal head's ``predict_by_feat``); segment ``s`` holds
                positions ``s * P ... s * P + P - 1``. Not read under ``use_gt_span``: the
                GT span and the sampled positions inside it are used instead
                (:meth:`gt_span_positions`).
            num_passes (int): P.
            span_rule (str): how a run of sampled positions becomes a span of original
                frames: ``'midpoint'`` (:func:`~mmstvg.structures.positions_to_span`: each
                sampled frame stands for the frames up to half-way to its neighbours) or
                ``'sampled_frames'`` (``[frame_inds[start], frame_inds[end] + 1)``: from the
                first to the last sampled frame of the run, TubeDETR's ``PostProcessSTVG``).
            span_positions (bool): the spans' ``(i, j)`` are the first and last sampled
                positions of the sample, not segments (the union of separately decoded
                passes, :meth:`StartEndHead.predict_pass_spans`). Defaults to False.

        Returns:
            list: ``data_samples``, with ``pred_tube`` in original frames and pixels.
        """
        self.check_span_rule(span_rule)
        p = num_passes
        boxes = boxes.float()  # pixels in float32, also after a bf16 / fp16 autocast forward
        for k, (sample, (i, j, score)) in enumerate(zip(data_samples, spans)):
            meta = sample.metainfo
            frame_inds = [int(f) for f in meta['frame_inds']]
            if self.use_gt_span:
                span, positions, frame_ids = self.gt_span_positions(sample, frame_inds)
                score = None  # the temporal head's score is that of its own span
            else:
                start, end = (i, j) if span_positions else (i * p, j * p + p - 1)
                if span_rule == 'sampled_frames':
                    span = (frame_inds[start], frame_inds[end] + 1)
                else:
                    span = positions_to_span(start, end, frame_inds, meta['clip'])
                positions = slice(start, end + 1)
                frame_ids = frame_inds[start:end + 1]
            # position t * P + q of the sample <- pass q, position t
            sample_boxes = boxes[k * p:(k + 1) * p].transpose(0, 1).reshape(-1, 4)
            wh = self.img_wh([sample], sample_boxes)[0]
            tube_boxes = self.boxes_to_original(sample_boxes[positions] * wh, meta)
            # multi-pass sampling repeats frames when P x T exceeds the clip: their boxes
            # are averaged
            tube = Tube(span, frame_ids, tube_boxes).merge_repeated()
            sample.pred_tube = tube.to_element(score)
        return data_samples

    @staticmethod
    def gt_span_of(sample: STVGDataSample) -> Tuple[int, int]:
        """The GT span ``[start, end)`` (original frames) of a sample, for ``use_gt_span``.

        Raises:
            ValueError: the sample has no GT tube (a test split without annotations, or no
                ``LoadTubeTargets`` in the test pipeline) or an empty GT span.
        """
        gt = sample.get('gt_tube')
        span = None if gt is None else gt.get('span')
        if span is None:
            raise ValueError(f'query {sample.metainfo.get("qid")!r} has no GT span: '
                             '`test_cfg.use_gt_span` needs the GT tube at test time '
                             '(LoadTubeTargets in the test pipeline and an annotated split)')
        start, end = (int(v) for v in torch.as_tensor(span).reshape(-1)[:2])
        if end <= start:
            raise ValueError(f'query {sample.metainfo.get("qid")!r}: empty GT span '
                             f'[{start}, {end})')
        return start, end

    @classmethod
    def gt_span_positions(cls, sample: STVGDataSample,
                          frame_inds: Sequence[int]) -> Tuple[tuple, List[int], List[int]]:
        """The GT span and the sampled positions whose boxes form the tube under
        ``use_gt_span``.

        Every sampled frame inside the GT span gives its position. When no sampled frame
        falls inside it (a span shorter than the sampling step), the position nearest to the
        span gives the box, placed at the frame of the span nearest to that position, so
        that the tube has a box and all its frames lie in its span.

        Args:
            sample (STVGDataSample): the sample (``gt_tube.span``, ``metainfo['qid']``).
            frame_inds (Sequence[int]): original frame index of every sampled position.

        Returns:
            tuple: ``span`` (start, end), ``positions`` (list of sampled positions) and
            ``frame_ids`` (their original frames, inside ``span``).
        """
        start, end = cls.gt_span_of(sample)
        positions = [k for k, f in enumerate(frame_inds) if start <= f < end]
        if positions:
            return (start, end), positions, [frame_inds[k] for k in positions]
        nearest = min(
            range(len(frame_inds)),
            key=lambda k: min(abs(frame_inds[k] - start), abs(frame_inds[k] - (end - 1))))
        frame = min(max(frame_inds[nearest], start), end - 1)
        return (start, end), [nearest], [frame]
