"""Base class of every mmstvg grounder (the assembled model, like mmdet's ``BaseDetector``).

A grounder maps a batch of (video, sentence) pairs to tubes. ``forward`` dispatches on
``mode`` as every mmengine model does:

- ``'loss'``: ``dict`` of losses;
- ``'predict'``: list of :class:`~mmstvg.structures.STVGDataSample` with ``pred_tube`` in
  ORIGINAL frame indices and ORIGINAL pixels (see ``docs/data_flow.md``);
- ``'tensor'``: raw head outputs.

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
"""
from abc import ABCMeta, abstractmethod
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.distributed as dist
from mmengine.logging import MessageHub
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement

from mmstvg.structures import STVGDataSample, positions_to_span

SampleList = List[STVGDataSample]


class BaseGrounder(BaseModel, metaclass=ABCMeta):
    """Base grounder.

    Args:
        data_preprocessor (dict, optional): Config of the data preprocessor
            (``STVGDataPreprocessor``).
        init_cfg (dict or list[dict], optional): Initialisation config.
        test_cfg (dict, optional): test-time options (module docstring): ``use_gt_span``.
            Defaults to None (none set).
    """

    #: keys of ``test_cfg``
    TEST_CFG_KEYS = ('use_gt_span', )

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
        self.test_cfg = test_cfg

    @property
    def use_gt_span(self) -> bool:
        """Whether the predicted span is replaced by the GT span (``test_cfg``)."""
        return bool(self.test_cfg.get('use_gt_span', False))

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

    @abstractmethod
    def loss(self, inputs: Dict[str, torch.Tensor], data_samples: SampleList) -> dict:
        """Compute losses from a batch of inputs and data samples."""

    @abstractmethod
    def predict(self, inputs: Dict[str, torch.Tensor], data_samples: SampleList) -> SampleList:
        """Predict tubes; fills ``pred_tube`` of every data sample and returns them."""

    @abstractmethod
    def _forward(self, inputs: Dict[str, torch.Tensor], data_samples: Optional[SampleList] = None):
        """Network forward without post-processing."""

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
    def merge_repeated_frames(frame_ids: Sequence[int], bboxes: torch.Tensor) -> tuple:
        """Average the boxes of frames sampled more than once (multi-pass sampling repeats
        frames when passes x T exceeds the clip length).

        Args:
            frame_ids (Sequence[int]): (K,) sorted original frame indices, maybe repeated.
            bboxes (Tensor): (K, 4) boxes.

        Returns:
            tuple: unique frame ids (LongTensor (U,)) and their mean boxes (U, 4).
        """
        ids = torch.as_tensor(list(frame_ids), dtype=torch.long, device=bboxes.device)
        uniq, inverse = torch.unique_consecutive(ids, return_inverse=True)
        if len(uniq) == len(ids):
            return uniq, bboxes
        sums = bboxes.new_zeros(len(uniq), 4).index_add_(0, inverse, bboxes)
        counts = torch.bincount(inverse, minlength=len(uniq)).to(bboxes.dtype)
        return uniq, sums / counts[:, None]

    @staticmethod
    def make_pred_tube(span: Sequence[int],
                       frame_ids: torch.Tensor,
                       bboxes: torch.Tensor,
                       score: Optional[float] = None) -> BaseDataElement:
        """Build a ``pred_tube`` element (see ``mmstvg.structures.stvg_data_sample``)."""
        tube = BaseDataElement(
            span=torch.as_tensor([int(span[0]), int(span[1])], dtype=torch.long),
            frame_ids=torch.as_tensor(frame_ids, dtype=torch.long).cpu(),
            bboxes=bboxes.detach().float().cpu())
        if score is not None:
            tube.score = float(score)
        return tube

    def predict_tubes(self,
                      data_samples: SampleList,
                      boxes: torch.Tensor,
                      spans: Sequence[tuple],
                      num_passes: int = 1,
                      span_rule: str = 'midpoint') -> SampleList:
        """Fill ``pred_tube`` of every sample from the heads' decoded outputs.

        Args:
            data_samples (list): the samples (metainfo ``frame_inds``, ``clip``, shapes).
            boxes (Tensor): (B * P, T, 4) normalised xyxy boxes (the spatial head's
                ``predict_by_feat``); sample ``k``'s passes are rows ``k * P ... k * P + P - 1``
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

        Returns:
            list: ``data_samples``, with ``pred_tube`` in original frames and pixels.
        """
        if span_rule not in ('midpoint', 'sampled_frames'):
            raise ValueError(f'span_rule must be "midpoint" or "sampled_frames", got '
                             f'{span_rule!r}')
        p = num_passes
        for k, (sample, (i, j, score)) in enumerate(zip(data_samples, spans)):
            meta = sample.metainfo
            frame_inds = [int(f) for f in meta['frame_inds']]
            if self.use_gt_span:
                span, positions, frame_ids = self.gt_span_positions(sample, frame_inds)
                score = None  # the temporal head's score is that of its own span
            else:
                start, end = i * p, j * p + p - 1
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
            frame_ids, tube_boxes = self.merge_repeated_frames(frame_ids, tube_boxes)
            sample.pred_tube = self.make_pred_tube(span, frame_ids, tube_boxes, score)
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
