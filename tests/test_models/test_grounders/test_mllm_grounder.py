"""MLLMGrounder: a scripted ``generate`` gives hand-computed m_tIoU / m_vIoU through
STVGMetric, parse failures are counted and never dropped, and the submission keeps every
query."""
import json

import pytest
import torch
from mmengine.structures import BaseDataElement

from mmstvg.evaluation import STVGMetric
from mmstvg.evaluation.functional import parse_submission
from mmstvg.registry import MODELS
from mmstvg.testing.tiny_mllm import tiny_mllm_batch, tiny_mllm_config, tiny_mllm_grounder
from mmstvg.utils import register_all_modules

register_all_modules()

GT_SPAN = (8, 24)  # sampled frames 2, 6, ..., 38 of a 40-frame clip at 8 fps (t = frame / 8 s)
ANSWERS = {
    # exact: span [8, 24), the GT box at frames 10 and 18 -> tIoU 1, vIoU 1
    'a': '{"start": 1.0, "end": 3.0, "boxes": [{"time": 1.25, "bbox": [10, 10, 50, 50]}, '
    '{"time": 2.25, "bbox": [10, 10, 50, 50]}]}',
    # span [16, 32), half the GT box: tIoU 8 / 24, vIoU 8 * 0.5 / 24 (dense)
    'b': 'Here it is: {"start": 2.0, "end": 4.0, "boxes": [{"time": 2.25, '
    '"bbox": [10, 10, 30, 50]}]}',
    'c': 'I do not know.',  # no answer: empty tube, 0 / 0
    'd': '{"start": 1.0, "end": 3.0}',  # no boxes: tIoU 1, vIoU 0
}


def _grounder(family='qwen2_5_vl'):
    return tiny_mllm_grounder(family)


def _samples(family='qwen2_5_vl'):
    return tiny_mllm_batch(family, qids=tuple(ANSWERS), gt_span=GT_SPAN)


def _scripted_generate(grounder, answers):
    """``generate`` returning the prompt followed by the scripted answer of each row."""
    tok = grounder.tokenizer

    def generate(input_ids, **kwargs):
        rows = [
            torch.cat([
                ids,
                torch.tensor(tok(a, add_special_tokens=False)['input_ids'] + [tok.eos_token_id])
            ]) for ids, a in zip(input_ids, answers)
        ]
        length = max(r.shape[0] for r in rows)
        return torch.stack(
            [torch.cat([r, r.new_full((length - r.shape[0], ), tok.pad_token_id)]) for r in rows])

    return generate


def _metric(protocol, samples, **kw):
    metric = STVGMetric(protocol=protocol, **kw)
    metric.process(None, [s.to_dict() for s in samples])
    return metric.compute_metrics(metric.results)


def test_scripted_answers_give_hand_computed_metrics(tmp_path):
    grounder = _grounder()
    inputs, samples = _samples()
    grounder.mllm.generate = _scripted_generate(grounder, list(ANSWERS.values()))
    out = grounder.predict(inputs, samples)
    assert [s.answer for s in out] == list(ANSWERS.values())
    assert [s.parse_status for s in out] == ['ok', 'ok', 'no_answer', 'no_boxes']
    assert out[2].pred_tube.span.tolist() == [0, 0]  # the empty tube, not a dropped query
    dense = _metric('dense', out)
    assert dense['m_tIoU'] == pytest.approx((1 + 1 / 3 + 0 + 1) / 4)
    assert dense['m_vIoU'] == pytest.approx((1 + 1 / 6 + 0 + 0) / 4)
    assert dense['vIoU@0.3'] == pytest.approx(1 / 4) and dense['vIoU@0.5'] == pytest.approx(1 / 4)
    assert {
        k: v
        for k, v in dense.items() if k.startswith('parse/')
    } == {
        'parse/no_answer': 1,
        'parse/bad_span': 0,
        'parse/out_of_range': 0,
        'parse/no_boxes': 1,
        'parse/repaired': 0,
        'parse/ok': 2,
        'parse/failed': 2
    }
    # the challenge's rule counts only GT frames carrying a box: d scores 0, b 8 / 24
    sub = str(tmp_path / 'sub.json')
    official = _metric('hcstvg_official', out, submission_file=sub)
    assert official['m_tIoU'] == pytest.approx((1 + 1 / 3) / 4)
    assert official['m_vIoU'] == pytest.approx((1 + 1 / 6) / 4)
    entries = json.load(open(sub))
    assert list(entries) == list(ANSWERS)  # every query, none dropped
    assert entries['c'] == {'st_frame': 1, 'ed_frame': 0, 'bbox': {}}  # the empty tube
    tubes, errors = parse_submission(entries, sub, num_frames={q: 40 for q in ANSWERS})
    assert list(errors) == ['c'] and set(tubes) == {'a', 'b', 'd'}


def test_a_metric_without_parse_statuses_is_unchanged():
    _, samples = _samples()
    for s in samples:
        s.pred_tube = BaseDataElement(
            span=torch.tensor(GT_SPAN),
            frame_ids=torch.tensor([8]),
            bboxes=torch.tensor([[10., 10., 50., 50.]]))
    result = _metric('dense', samples)
    assert not any(k.startswith('parse/') for k in result)
    assert result['m_tIoU'] == 1.0 and result['m_vIoU'] == 1.0


@pytest.mark.parametrize('family', ['qwen2_vl', 'qwen2_5_vl', 'qwen3_vl'])
def test_tiny_models_predict_and_loss(family):
    grounder = _grounder(family)
    inputs, samples = _samples(family)
    losses = grounder.loss(inputs, samples[:2])
    assert set(losses) == {'loss_sft'} and torch.isfinite(losses['loss_sft'])
    out = grounder.predict(inputs, samples)
    for s in out:  # random weights: whatever they say is parsed, none raises, none dropped
        assert s.parse_status in ('no_answer', 'bad_span', 'out_of_range', 'no_boxes', 'repaired',
                                  'ok')
        assert s.pred_tube.span.shape == (2, )
    assert grounder._forward(inputs, samples[:1])['logits'].ndim == 3


def test_sft_labels_mask_the_prompt():
    grounder = _grounder()
    inputs, samples = _samples()
    batch = grounder.sft_batch(inputs, samples[:2])
    tok = grounder.tokenizer
    for row in range(2):
        labels = batch['labels'][row]
        answer = tok.decode(labels[labels != -100])
        assert answer == grounder.target_text(samples[row])
        assert answer.startswith('{"start": 1.0, "end": 3.0, "boxes": [{"time": 1.25, '
                                 '"bbox": [10, 10, 50, 50]}')
        assert answer.endswith('<|im_end|>')
        # no video token and no prompt token is a label
        ids = batch['input_ids'][row]
        assert not (labels[ids == grounder.processor.video_token_id] != -100).any()
        n_prompt = int((labels == -100).logical_and(batch['attention_mask'][row] == 1).sum())
        assert tok.decode(ids[:n_prompt]).endswith('<|im_start|>assistant\n')


def test_use_gt_span_is_refused():
    with pytest.raises(ValueError, match='use_gt_span'):
        MODELS.build(
            dict(
                type='MLLMGrounder',
                model=dict(config=tiny_mllm_config('qwen2_vl')),
                processor=dict(tokenizer=dict(type='tiny_qwen_tokenizer')),
                test_cfg=dict(use_gt_span=True)))
