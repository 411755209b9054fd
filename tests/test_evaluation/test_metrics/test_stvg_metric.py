"""STVGMetric on hand-built data samples (as mmengine's Evaluator passes them: dicts)."""
import os.path as osp

import mmengine
import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement

from mmstvg.evaluation import STVGMetric
from mmstvg.registry import METRICS
from mmstvg.structures import STVGDataSample
from mmstvg.testing import import_script

BOX = [0.0, 0.0, 10.0, 10.0]
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def load_eval_submission():
    return import_script(osp.join(ROOT, 'tools', 'analysis_tools', 'eval_submission.py'))


def make_sample(qid,
                gt_span,
                pred_span=None,
                pred_ids=None,
                pred_boxes=None,
                sentence_type=None,
                clip=(0, 41),
                fps=10.0,
                with_gt=True):
    sample = STVGDataSample(
        metainfo=dict(
            qid=qid,
            video_name=qid,
            clip=clip,
            fps=fps,
            num_frames=clip[1],
            sentence_type=sentence_type))
    if with_gt:
        n = gt_span[1] - gt_span[0]
        sample.gt_tube = BaseDataElement(
            span=torch.tensor(gt_span),
            bboxes=torch.tensor([BOX] * n),
            frame_in_span=torch.ones(3, dtype=torch.bool))
    if pred_span is not None:
        ids = np.arange(*pred_span) if pred_ids is None else np.asarray(pred_ids)
        boxes = [BOX] * len(ids) if pred_boxes is None else pred_boxes
        sample.pred_tube = BaseDataElement(
            span=torch.tensor(pred_span),
            frame_ids=torch.as_tensor(ids),
            bboxes=torch.tensor(boxes, dtype=torch.float32),
            score=0.9)
    return sample


def run_metric(metric, samples, batch=2):
    for i in range(0, len(samples), batch):
        metric.process({}, [s.to_dict() for s in samples[i:i + batch]])
    return metric.evaluate(len(samples))


def test_registered_and_validates_args():
    metric = METRICS.build(dict(type='STVGMetric', protocol='dense'))
    assert isinstance(metric, STVGMetric)
    with pytest.raises(ValueError):
        STVGMetric(protocol='foo')
    with pytest.raises(ValueError):
        STVGMetric(format_only=True)  # nothing to write


def test_dense_values_from_dicts():
    # q0: GT [0,10), pred [7,10) perfect -> tIoU = vIoU = 0.3 (not > 0.3)
    # q1: GT [0,10), pred [0,10) perfect -> 1, 1
    # m_tIoU = m_vIoU = 1.3 / 2 = 0.65; vIoU@0.3 = 1/2; vIoU@0.5 = 1/2
    samples = [make_sample('q0', (0, 10), (7, 10)), make_sample('q1', (0, 10), (0, 10))]
    out = run_metric(STVGMetric(protocol='dense'), samples)
    assert out == pytest.approx({'m_tIoU': 0.65, 'm_vIoU': 0.65, 'vIoU@0.3': 0.5, 'vIoU@0.5': 0.5})


def test_sampled_uses_clip_and_fps_from_metainfo():
    # clip (0, 41), 10 fps, eval 5 fps: frames 0, 2, ..., 38 (TubeDETR clip (0, 40)).
    # GT [10,20), pred [15,24) with IoU 0.5 boxes ([0,0,10,5]):
    # tIoU = 5/14; vIoU = (16, 18 -> 0.5 + 0.5) / (10..22 -> 7 frames) = 1/7
    sample = make_sample('q', (10, 20), (15, 24), pred_boxes=[[0, 0, 10, 5]] * 9)
    out = run_metric(STVGMetric(protocol='sampled'), [sample])
    assert out['m_tIoU'] == pytest.approx(5 / 14)
    assert out['m_vIoU'] == pytest.approx(1 / 7)
    # at 2.5 fps (rate 0.25: frames 0, 4, ..., 36): inter [15,20) holds 16 -> 0.5;
    # union [10,24) holds 12, 16, 20 -> vIoU = 0.5 / 3
    out = run_metric(STVGMetric(protocol='sampled', eval_fps=2.5), [sample])
    assert out['m_vIoU'] == pytest.approx(0.5 / 3)


def test_missing_prediction():
    samples = [make_sample('q_ok', (0, 10), (0, 10)), make_sample('q_nopred', (0, 10))]
    with pytest.raises(KeyError, match='q_nopred'):
        run_metric(STVGMetric(protocol='dense'), samples)
    # official: the missing query scores 0 -> means 1/2
    out = run_metric(STVGMetric(protocol='hcstvg_official'), samples)
    assert out['m_vIoU'] == pytest.approx(0.5) and out['m_tIoU'] == pytest.approx(0.5)


def test_official_scores_the_densified_prediction():
    # GT [10,15); pred [12,17) with boxes at 12 and 16 only (both perfect).
    # The metric densifies to 12..16, so GT frames 12, 13, 14 have a box:
    # all_frame = max(14,16) - min(10,12) + 1 = 7 -> tIoU = 3/7, vIoU = 3/7
    sample = make_sample('q', (10, 15), (12, 17), pred_ids=[12, 16], pred_boxes=[BOX, BOX])
    out = run_metric(STVGMetric(protocol='hcstvg_official'), [sample])
    assert out['m_tIoU'] == pytest.approx(3 / 7) and out['m_vIoU'] == pytest.approx(3 / 7)


def test_sentence_type_keys():
    # d: perfect (1, 1); i: pred [4,10) of GT [0,10) -> (0.6, 0.6)
    samples = [
        make_sample('d', (0, 10), (0, 10), sentence_type='declarative'),
        make_sample('i', (0, 10), (4, 10), sentence_type='interrogative')
    ]
    out = run_metric(STVGMetric(protocol='dense', prefix='vidstg'), samples)
    assert out['vidstg/m_vIoU'] == pytest.approx(0.8)
    assert out['vidstg/declarative/m_vIoU'] == pytest.approx(1.0)
    assert out['vidstg/interrogative/m_tIoU'] == pytest.approx(0.6)
    assert out['vidstg/interrogative/vIoU@0.5'] == pytest.approx(1.0)
    assert len(out) == 12


def test_format_only_writes_the_submission(tmp_path):
    path = str(tmp_path / 'sub' / 'submit.json')
    samples = [make_sample('55_vfjywN5CN0Y.mp4', None, (4, 6), with_gt=False)]
    metric = STVGMetric(protocol='hcstvg_official', format_only=True, submission_file=path)
    assert run_metric(metric, samples) == {}
    sub = mmengine.load(path)
    # 0-based [4, 6) -> 1-based st 5, ed 6 (inclusive), keys "5", "6"
    assert sub == {
        '55_vfjywN5CN0Y.mp4': {
            'st_frame': 5,
            'ed_frame': 6,
            'bbox': {
                '5': BOX,
                '6': BOX
            }
        }
    }


def test_no_gt_without_format_only_is_an_error():
    with pytest.raises(ValueError, match='format_only'):
        run_metric(STVGMetric(), [make_sample('q', None, (4, 6), with_gt=False)])


@pytest.mark.parametrize('protocol', ['sampled', 'dense', 'hcstvg_official'])
def test_submission_round_trip_gives_the_same_numbers(tmp_path, protocol):
    """Dump with STVGMetric, re-score the file with eval_submission's scorer: same numbers."""
    rng = np.random.RandomState(0)
    samples, gts = [], {}
    for k in range(6):
        gs = int(rng.randint(0, 20))
        gt_span = (gs, gs + int(rng.randint(1, 15)))
        ps = int(rng.randint(0, 25))
        pred_span = (ps, ps + int(rng.randint(1, 15)))
        ids = np.arange(pred_span[0], pred_span[1], 3)  # sparse keyframes: interpolation
        xy = rng.uniform(0, 5, size=(len(ids), 2))
        boxes = np.concatenate([xy, xy + rng.uniform(4, 12, size=(len(ids), 2))], 1)
        stype = 'declarative' if k % 2 else 'interrogative'
        samples.append(
            make_sample(f'q{k}', gt_span, pred_span, ids, boxes.tolist(), sentence_type=stype))
        gts[f'q{k}'] = dict(
            span=gt_span,
            bboxes=np.tile(BOX, (gt_span[1] - gt_span[0], 1)),
            clip=(0, 41),
            fps=10.0,
            num_frames=41,
            sentence_type=stype)
    path = str(tmp_path / 'submit.json')
    metric_out = run_metric(STVGMetric(protocol=protocol, submission_file=path), samples)
    assert 0 < metric_out['m_vIoU'] < 1 and 0 < metric_out['m_tIoU'] < 1
    tool = load_eval_submission()
    tool_out, _ = tool.score_submission(gts, mmengine.load(path), protocol)
    assert set(tool_out) == set(metric_out)
    for key in metric_out:
        assert tool_out[key] == pytest.approx(metric_out[key], abs=1e-6), key


def test_through_mmengine_evaluator():
    # mmengine's Evaluator turns the data samples into dicts itself.
    # q0: GT [0,10), pred [5,10) perfect -> 0.5; q1: pred [0,10) -> 1. m_vIoU = 0.75
    from mmengine.evaluator import Evaluator
    evaluator = Evaluator(dict(type='mmstvg.STVGMetric', protocol='dense'))
    evaluator.process([make_sample('q0', (0, 10), (5, 10)), make_sample('q1', (0, 10), (0, 10))])
    out = evaluator.evaluate(2)
    assert out['m_vIoU'] == pytest.approx(0.75) and out['vIoU@0.5'] == pytest.approx(0.5)


@pytest.mark.parametrize('as_failures,expected', [(True, 0.5), (False, 1.0)])
def test_skipped_queries_are_reported_and_counted(tmp_path, as_failures, expected):
    """A query the dataset skipped (skip_invalid=True) is listed and, by default, scores 0."""
    sub = str(tmp_path / 'sub.json')
    metric = STVGMetric(protocol='dense', skipped_as_failures=as_failures, submission_file=sub)
    metric.dataset_meta = dict(skipped_queries={'missing_video': ['q_gone']})
    out = run_metric(metric, [make_sample('q1', (5, 15), (5, 15))])
    assert out['num_skipped'] == 1 and out['num_queries'] == 1
    assert out['m_tIoU'] == pytest.approx(expected)
    assert out['m_vIoU'] == pytest.approx(expected)
    assert mmengine.load(str(tmp_path / 'sub.skipped.json')) == {'missing_video': ['q_gone']}


def test_duplicated_results_are_refused():
    metric = STVGMetric(protocol='dense')
    with pytest.raises(ValueError, match='duplicated'):
        run_metric(metric, [make_sample('q1', (5, 15), (5, 15))] * 2)


@pytest.mark.parametrize('format_only', [False, True])
def test_nothing_left_to_score_names_the_file(tmp_path, format_only):
    """Every query skipped (or none processed): a clear error, not a crash deep in mmengine."""
    metric = STVGMetric(
        protocol='dense', format_only=format_only, submission_file=str(tmp_path / 'sub.json'))
    metric.dataset_meta = dict(
        ann_file='data/x/test.json', skipped_queries={'missing_video': ['q0', 'q1']})
    with pytest.raises(
            ValueError,
            match=r'STVGMetric: no valid query left in '
            r'data/x/test.json \(2 skipped as invalid'):
        metric.compute_metrics([])
    metric.dataset_meta = None
    with pytest.raises(ValueError, match='no valid query left in the dataset'):
        metric.compute_metrics([])


@pytest.mark.parametrize('submit', [False, True])
def test_non_finite_predictions_stop_the_evaluation(tmp_path, submit):
    """A NaN model (e.g. a checkpoint of NaN weights) is an error naming the queries, not a
    score of 0; no submission is written (eval_submission would refuse it)."""
    from mmstvg.evaluation import NonFinitePredictionError
    nan = [float('nan')] * 4
    samples = [
        make_sample('ok', (5, 15), (5, 15)),
        make_sample('nan_box', (5, 15), (5, 7), pred_boxes=[BOX, nan]),
        make_sample('inf_box', (5, 15), (5, 6), pred_boxes=[[0., 0., float('inf'), 1.]]),
    ]
    sub = tmp_path / 'sub.json'
    metric = STVGMetric(protocol='dense', submission_file=str(sub) if submit else None)
    with pytest.raises(NonFinitePredictionError) as err:
        run_metric(metric, samples)
    assert "2 of 3 queries have non-finite (NaN/inf) predicted boxes: 'nan_box', 'inf_box'" \
        in str(err.value)
    assert err.value.qids == ['nan_box', 'inf_box']
    assert not sub.exists()


def test_a_submission_the_evaluator_refuses_is_never_written(tmp_path):
    """Inverted boxes (x2 < x1) or a span past the video: refused before writing, with the
    evaluator's own message."""
    from mmstvg.evaluation.functional import InvalidSubmissionError
    sub = tmp_path / 'sub.json'
    samples = [
        make_sample('inverted', (5, 15), (5, 6), pred_boxes=[[10., 0., 0., 10.]]),
        make_sample('past_the_end', (5, 15), (39, 43)),  # the video has 41 frames
        make_sample('ok', (5, 15), (5, 15)),
    ]
    metric = STVGMetric(protocol='dense', submission_file=str(sub))
    with pytest.raises(InvalidSubmissionError) as err:
        run_metric(metric, samples)
    msg = str(err.value)
    assert msg.startswith('STVGMetric: refusing to write a submission that eval_submission.py')
    assert set(err.value.errors) == {'inverted', 'past_the_end'}
    assert 'x2 < x1' in msg and 'ed_frame 43 > 41' in msg
    assert not sub.exists()


def test_no_prefix_by_default_and_no_prefix_warning():
    """The keys are the field's names (``m_vIoU`` ...: save_best, eval_submission.py and the
    benchmark suite read them): no prefix by default, and mmengine's "The prefix is not set"
    warning is not logged (``default_prefix = ''``); ``prefix`` still adds one."""
    import logging

    from mmengine.logging import MMLogger
    messages = []

    class Keep(logging.Handler):

        def emit(self, record):
            messages.append(record.getMessage())

    handler = Keep()
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        metric = METRICS.build(dict(type='STVGMetric', protocol='dense'))
    finally:
        logger.removeHandler(handler)
    assert not [m for m in messages if 'prefix is not set' in m]
    out = run_metric(metric, [make_sample('q', (0, 10), (0, 10))])
    assert set(out) == {'m_tIoU', 'm_vIoU', 'vIoU@0.3', 'vIoU@0.5'}
    out = run_metric(
        STVGMetric(protocol='dense', prefix='stvg'), [make_sample('q', (0, 10), (0, 10))])
    assert 'stvg/m_vIoU' in out
