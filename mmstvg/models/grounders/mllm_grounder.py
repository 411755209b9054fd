"""A multimodal LLM (Qwen2-VL, Qwen2.5-VL, Qwen3-VL) as an mmstvg grounder.

The model answers a question about the video in text; the grounder turns the answer into a
``pred_tube`` exactly as every grounder fills it (original frame ids, original pixels), so
``STVGMetric`` scores it under the same protocol as a specialist. The pieces come from the
config (``configs/mllm``, ``docs/user_guides/mllm.md``):

- ``model``: a transformers ``AutoModelForImageTextToText`` from a local checkpoint
  (``pretrained``) or a config (``config``, random weights: tests and the tiny configs),
  :func:`mmstvg.models.mllm.build_mllm`; optional LoRA (``lora``, peft);
- ``processor``: the family's transformers processor, built without torchvision
  (:func:`mmstvg.models.mllm.build_mllm_processor`);
- ``template`` (registry ``PROMPT_TEMPLATES``): the question; ``parser`` (registry
  ``ANSWER_PARSERS``): the answer format, both ways;
- ``generation``: the arguments of ``generate`` (greedy by default).

Inputs: the pipeline samples the clip on a time grid (``SampleMLLMFrames``: presentation
times kept), resizes the frames to the model's patch grid (``ResizeForMLLM``: the resize is
recorded, so boxes map back), and packs the frames unnormalised (``STVGDataPreprocessor``
without ``mean`` / ``std``: (B, N, 3, H, W) float 0-255 and ``frame_mask``). Each sample's
frames go to the processor with their video metadata
(:class:`~mmstvg.models.mllm.STVGVideoMetadata`), so the model's time axis is the video's.

``predict``: one ``generate`` per batch (left-padded), then the parser reads each answer; a
parse never raises and never drops a query: a failed answer is an empty tube scoring 0, and
the data sample carries ``parse_status`` (``mmstvg.structures.PARSE_STATUSES``), which
``STVGMetric`` counts, ``answer`` (the text) and ``parse_notes``.

``loss``: supervised fine-tuning, the next-token cross-entropy of the answer that the
template and the parser write for the GT tube (``format_target``, followed by the end of turn
``<|im_end|>``), with every prompt token (the question and the video tokens) masked out
(label -100).
"""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from mmstvg.registry import ANSWER_PARSERS, MODELS, PROMPT_TEMPLATES
from mmstvg.structures import STVGDataSample
from ..mllm import STVGVideoMetadata, build_mllm, build_mllm_processor
from .base_grounder import BaseGrounder

SampleList = List[STVGDataSample]
IGNORE_INDEX = -100


@MODELS.register_module()
class MLLMGrounder(BaseGrounder):
    """A transformers image-text-to-text model answering STVG queries (module docstring).

    Args:
        model (dict): ``pretrained`` (local directory) or ``config`` (a transformers config
            dict with ``model_type``), and optionally ``dtype``, ``attn_implementation``,
            ``gradient_checkpointing`` (bool) and more ``from_pretrained`` arguments.
        processor (dict, optional): arguments of
            :func:`~mmstvg.models.mllm.build_mllm_processor` (``family``, ``pretrained``,
            ``tokenizer``, ``video_processor``, ``chat_template``); ``pretrained`` defaults
            to the model's. Defaults to None (the model's checkpoint).
        template (dict): a ``PROMPT_TEMPLATES`` config. Defaults to ``json_tube``.
        parser (dict): an ``ANSWER_PARSERS`` config. Defaults to ``json_tube``.
        generation (dict, optional): ``generate`` arguments. Defaults to
            ``dict(max_new_tokens=256, do_sample=False)``.
        lora (dict, optional): a peft ``LoraConfig`` (``r``, ``lora_alpha``,
            ``target_modules``, ...); the model's other weights are frozen. Defaults to None.
        freeze_vision (bool): freeze the vision encoder (and its merger). Defaults to False.
        data_preprocessor (dict, optional): ``STVGDataPreprocessor`` without normalisation.
        init_cfg (dict, optional): initialisation config.
        test_cfg (dict, optional): ``BaseGrounder``'s (``use_gt_span`` is not supported).
    """

    def __init__(self,
                 model: dict,
                 processor: Optional[dict] = None,
                 template: dict = dict(type='json_tube'),
                 parser: dict = dict(type='json_tube'),
                 generation: Optional[dict] = None,
                 lora: Optional[dict] = None,
                 freeze_vision: bool = False,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg=None,
                 test_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg, test_cfg=test_cfg)
        if self.use_gt_span:
            raise ValueError('MLLMGrounder does not support test_cfg.use_gt_span')
        model = dict(model)
        checkpointing = model.pop('gradient_checkpointing', False)
        processor = dict(processor or {})
        processor.setdefault('pretrained', model.get('pretrained'))
        if processor['pretrained'] is None and processor.get('family') is None:
            processor['family'] = (model.get('config') or {}).get('model_type')
        self.processor = build_mllm_processor(**processor)
        self.tokenizer = self.processor.tokenizer
        self.mllm = build_mllm(tokenizer=self.tokenizer, **model)
        self.template = PROMPT_TEMPLATES.build(template)
        self.parser = ANSWER_PARSERS.build(parser)
        self.generation = dict(max_new_tokens=256, do_sample=False)
        self.generation.update(generation or {})
        if freeze_vision:
            for name, param in self.mllm.named_parameters():
                if '.visual.' in f'.{name}':
                    param.requires_grad_(False)
        if lora is not None:
            self._add_lora(lora)
        if checkpointing:
            self.mllm.gradient_checkpointing_enable(
                gradient_checkpointing_kwargs=dict(use_reentrant=False))
            if lora is not None:  # frozen embeddings: the checkpointed blocks need grads in
                self.mllm.enable_input_require_grads()

    def _add_lora(self, lora: dict) -> None:
        try:
            from peft import LoraConfig, get_peft_model
        except ImportError as err:  # pragma: no cover (optional requirement)
            raise ImportError('MLLMGrounder(lora=...) needs peft: pip install -r '
                              'requirements/optional.txt') from err
        cfg = dict(lora)
        cfg.setdefault('target_modules', ['q_proj', 'k_proj', 'v_proj', 'o_proj'])
        cfg.setdefault('task_type', 'CAUSAL_LM')
        self.mllm = get_peft_model(self.mllm, LoraConfig(**cfg))

    def init_weights(self) -> None:
        """Nothing to initialise: the transformers model has its weights (``pretrained``, or
        transformers' own random initialisation from ``config``). mmengine's ``init_weights``
        would call transformers' ``PreTrainedModel.init_weights``, which initialises again."""
        self._is_init = True

    @property
    def device(self) -> torch.device:
        return next(self.mllm.parameters()).device

    # ------------------------------------------------------------------ inputs
    @staticmethod
    def sample_video(inputs: Dict, index: int, sample: STVGDataSample) -> np.ndarray:
        """Sample ``index``'s frames, (N, H, W, 3) uint8, without the batch padding."""
        imgs = inputs['imgs'][index]
        n = int(inputs['frame_mask'][index].sum()) if 'frame_mask' in inputs else imgs.shape[0]
        h, w = sample.metainfo['img_shape'][:2]
        frames = imgs[:n, :, :h, :w].detach().float().round().clamp(0, 255)
        return frames.to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()

    def video_metadata(self, sample: STVGDataSample, height: int, width: int) -> STVGVideoMetadata:
        """The processor's metadata of a sample: its presentation times and grid rate."""
        meta = sample.metainfo
        inds, times, fps = self.parser.time_grid(meta)
        rate = meta.get('sample_rate')
        if rate is None:  # frames sampled otherwise: the mean rate of the sampled frames
            rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and \
                times[-1] > times[0] else fps
        return STVGVideoMetadata.from_sample(times, rate, fps, height, width)

    def prompt(self, sample: STVGDataSample) -> str:
        """The prompt text of a sample (chat template, generation prompt added)."""
        return self.processor.apply_chat_template(
            self.template.messages(sample.metainfo, self.parser),
            tokenize=False,
            add_generation_prompt=True)

    def target_text(self, sample: STVGDataSample) -> str:
        """The SFT answer of a sample's GT tube, ending the assistant turn."""
        gt = sample.gt_tube
        meta = sample.metainfo
        if gt.get('frame_in_span') is None or gt.get('frame_bboxes') is None:
            raise KeyError(f'query {meta.get("qid")!r}: training needs the GT at the sampled '
                           'frames (LoadTubeTargets in the pipeline)')
        in_span = gt.frame_in_span.bool().cpu().numpy()
        frame_ids = np.asarray(meta['frame_inds'])[in_span]
        boxes = gt.frame_bboxes.float().cpu().numpy()[in_span]
        span = [int(v) for v in gt.span.reshape(-1)[:2]]
        return self.template.format_target(self.parser, span, frame_ids, boxes, meta) + \
            self.tokenizer.eos_token

    def encode(self,
               inputs: Dict,
               data_samples: SampleList,
               texts: Sequence[str],
               padding_side: str = 'left') -> dict:
        """Processor outputs of a batch: ``texts`` (one prompt per sample) with the
        samples' videos and metadata, padded on ``padding_side``, on the model's device."""
        videos, metas = [], []
        for i, sample in enumerate(data_samples):
            video = self.sample_video(inputs, i, sample)
            videos.append(video)
            metas.append(self.video_metadata(sample, video.shape[1], video.shape[2]))
        out = self.processor(
            text=list(texts),
            videos=videos,
            video_metadata=metas,
            padding=True,
            padding_side=padding_side,
            return_tensors='pt')
        return {k: v.to(self.device) if torch.is_tensor(v) else v for k, v in out.items()}

    # ------------------------------------------------------------------ predict
    @torch.no_grad()
    def generate_answers(self, inputs: Dict, data_samples: SampleList, **generation) -> List[str]:
        """The model's answer text for every sample (one batched ``generate``; ``generation``
        overrides the config's arguments, e.g. ``do_sample=True`` for a GRPO group)."""
        batch = self.encode(inputs, data_samples, [self.prompt(s) for s in data_samples])
        out = self.mllm.generate(**batch, **dict(self.generation, **generation))
        new = out[:, batch['input_ids'].shape[1]:]
        return self.tokenizer.batch_decode(new, skip_special_tokens=True)

    def predict(self, inputs: Dict, data_samples: SampleList) -> SampleList:
        """Answer, parse (never raising), fill ``pred_tube`` and ``parse_status``."""
        answers = self.generate_answers(inputs, data_samples)
        return self.answers_to_tubes(answers, data_samples)

    def answers_to_tubes(self, answers: Sequence[str], data_samples: SampleList) -> SampleList:
        """Fill ``pred_tube`` (original frames and pixels), ``parse_status``, ``answer`` and
        ``parse_notes`` of every sample from its answer text."""
        for sample, text in zip(data_samples, answers):
            result = self.parser.parse(text, sample.metainfo)
            sample.pred_tube = result.tube.to_element()
            sample.parse_status = result.status
            sample.answer = text
            sample.parse_notes = list(result.notes)
        return data_samples

    # ------------------------------------------------------------------ loss
    def sft_batch(self,
                  inputs: Dict,
                  data_samples: SampleList,
                  answers: Optional[Sequence[str]] = None) -> dict:
        """The SFT batch: prompt + answer tokens, labels -100 on the prompt and padding.

        Args:
            answers (Sequence[str], optional): the answers to score (e.g. a GRPO group's;
                the end of turn is appended when missing). Defaults to the GT answers
                (:meth:`target_text`).
        """
        eos = self.tokenizer.eos_token
        if answers is None:
            answers = [self.target_text(s) for s in data_samples]
        else:
            answers = [a if a.endswith(eos) else a + eos for a in answers]
        pad = self.tokenizer.pad_token_id
        rows = []
        pixels, grids, seconds = [], [], []
        for i, sample in enumerate(data_samples):
            enc = self.encode(inputs, data_samples[i:i + 1], [self.prompt(sample)])
            answer = self.tokenizer(
                answers[i], add_special_tokens=False,
                return_tensors='pt')['input_ids'][0].to(self.device)
            ids = torch.cat([enc['input_ids'][0], answer])
            labels = torch.cat([torch.full_like(enc['input_ids'][0], IGNORE_INDEX), answer])
            types = enc.get('mm_token_type_ids')
            types = None if types is None else torch.cat([types[0], torch.zeros_like(answer)])
            rows.append((ids, labels, types))
            pixels.append(enc['pixel_values_videos'])
            grids.append(enc['video_grid_thw'])
            if 'second_per_grid_ts' in enc:
                seconds.append(torch.as_tensor(enc['second_per_grid_ts']).reshape(-1))
        length = max(r[0].shape[0] for r in rows)
        b = len(rows)
        batch = dict(
            input_ids=torch.full((b, length), pad, dtype=torch.long, device=self.device),
            attention_mask=torch.zeros((b, length), dtype=torch.long, device=self.device),
            labels=torch.full((b, length), IGNORE_INDEX, dtype=torch.long, device=self.device))
        if rows[0][2] is not None:
            batch['mm_token_type_ids'] = torch.zeros((b, length),
                                                     dtype=rows[0][2].dtype,
                                                     device=self.device)
        for k, (ids, labels, types) in enumerate(rows):
            n = ids.shape[0]
            batch['input_ids'][k, :n] = ids
            batch['attention_mask'][k, :n] = 1
            batch['labels'][k, :n] = labels
            if types is not None:
                batch['mm_token_type_ids'][k, :n] = types
        batch['pixel_values_videos'] = torch.cat(pixels)
        batch['video_grid_thw'] = torch.cat(grids)
        if seconds:
            batch['second_per_grid_ts'] = torch.cat(seconds).to(self.device)
        return batch

    def loss(self, inputs: Dict, data_samples: SampleList) -> Dict[str, torch.Tensor]:
        """``loss_sft``: the answer tokens' cross-entropy (module docstring)."""
        out = self.mllm(**self.sft_batch(inputs, data_samples))
        return dict(loss_sft=out.loss)

    def answer_logprobs(self, inputs: Dict, data_samples: SampleList,
                        answers: Sequence[str]) -> torch.Tensor:
        """Mean log-probability of each answer's tokens given its prompt, (B, )."""
        batch = self.sft_batch(inputs, data_samples, answers)
        labels = batch.pop('labels')
        logits = self.mllm(**batch).logits[:, :-1].float()
        target = labels[:, 1:]
        mask = target != IGNORE_INDEX
        logp = torch.log_softmax(
            logits, dim=-1).gather(-1,
                                   target.clamp(min=0).unsqueeze(-1)).squeeze(-1)
        return (logp * mask).sum(1) / mask.sum(1).clamp(min=1)

    def grpo_loss(self, inputs: Dict, data_samples: SampleList, answers: Sequence[str],
                  advantages) -> Dict[str, torch.Tensor]:
        """The policy-gradient loss of one on-policy GRPO step: ``-mean(A_i * mean log
        p(answer_i))`` over the answers of the groups (``advantages``:
        :func:`~mmstvg.models.mllm.rewards.group_advantages` of the rewards, registry
        ``REWARDS``). On-policy (one update per sampled group), GRPO's clipped ratio is 1 and
        its gradient is this one; no KL term (beta = 0).

        Args:
            data_samples (list): one sample per answer (a query repeated for its group), with
                ``inputs`` batched alike.
        """
        adv = torch.as_tensor(advantages, dtype=torch.float32, device=self.device)
        logp = self.answer_logprobs(inputs, data_samples, answers)
        return dict(loss_grpo=-(adv * logp).mean())

    def _forward(self, inputs: Dict, data_samples: Optional[SampleList] = None):
        """``mode='tensor'``: the logits of the prompts, (B, L, vocab)."""
        batch = self.encode(inputs, data_samples, [self.prompt(s) for s in data_samples])
        return dict(logits=self.mllm(**batch).logits)
