"""Hand-computed per-query scores of the three protocols (arithmetic in the comments)."""
import numpy as np
import pytest

from mmstvg.evaluation.functional import (aggregate_stvg_results, eval_query_dense,
                                          eval_query_hcstvg_official, eval_query_sampled,
                                          evaluate_query, evaluate_stvg)

BOX = [0, 0, 10, 10]
HALF = [0, 0, 10, 5]  # IoU(HALF, BOX) = 50 / 100 = 0.5
FAR = [50, 50, 60, 60]  # IoU(FAR, BOX) = 0


def gt_tube(span, box=BOX, clip=(0, 41), fps=10.0, sentence_type=None):
    n = span[1] - span[0]
    return dict(
        span=span,
        bboxes=np.tile(np.asarray(box, float), (n, 1)),
        clip=clip,
        fps=fps,
        num_frames=clip[1],
        sentence_type=sentence_type)


def pred_tube(span, boxes=None, frame_ids=None):
    frame_ids = np.arange(*span) if frame_ids is None else np.asarray(frame_ids)
    if boxes is None:
        boxes = [BOX] * len(frame_ids)
    return dict(span=span, frame_ids=frame_ids, bboxes=np.asarray(boxes, float))


# ---------------------------------------------------------------- sampled (TubeDETR)
# clip (0, 41) at 10 fps, eval 5 fps, TubeDETR clip (0, 40): rate 0.5 -> frames 0, 2, ..., 38


def test_sampled_partial_overlap():
    # GT [10,20), pred [15,24) with IoU 0.5 boxes.
    # tIoU = |[15,20)| / |[10,24)| = 5 / 14
    # sampled frames in inter [15,20): 16, 18 -> sum IoU 1.0
    # sampled frames in union [10,24): 10,12,...,22 -> 7      => vIoU = 1/7
    out = eval_query_sampled(gt_tube((10, 20)), pred_tube((15, 24), [HALF] * 9))
    assert out['tIoU'] == pytest.approx(5 / 14)
    assert out['vIoU'] == pytest.approx(1 / 7)


def test_sampled_no_overlap_and_outside():
    out = eval_query_sampled(gt_tube((10, 20)), pred_tube((30, 40)))
    assert out == dict(tIoU=0.0, vIoU=0.0)


def test_sampled_interpolates_between_predicted_frames():
    # GT [10,15) BOX; pred [10,15) with boxes only at 10 ([0,0,10,10]) and 14 ([4,0,14,10]).
    # sampled frames in [10,15): 10, 12, 14.  At 12 the box is [2,0,12,10]:
    # IoU 10: 1;  12: inter 8*10=80, union 120 -> 2/3;  14: inter 60, union 140 -> 3/7
    # vIoU = (1 + 2/3 + 3/7) / 3 ; tIoU = 1
    pred = pred_tube((10, 15), [BOX, [4, 0, 14, 10]], frame_ids=[10, 14])
    out = eval_query_sampled(gt_tube((10, 15)), pred)
    assert out['tIoU'] == pytest.approx(1.0)
    assert out['vIoU'] == pytest.approx((1 + 2 / 3 + 3 / 7) / 3)


def test_sampled_single_frame_spans():
    # GT = pred = [8,9): frame 8 is sampled -> vIoU = 1 / 1, tIoU = 1
    out = eval_query_sampled(gt_tube((8, 9)), pred_tube((8, 9)))
    assert out == dict(tIoU=1.0, vIoU=1.0)
    # GT = pred = [7,8): frame 7 is not sampled -> no frame in the union: vIoU = 0 / max(0, 1)
    out = eval_query_sampled(gt_tube((7, 8)), pred_tube((7, 8)))
    assert out == dict(tIoU=1.0, vIoU=0.0)


def test_sampled_tubedetr_clip_excludes_the_last_clip_frame():
    # clip (0, 41), GT = pred = [38, 41); pred box perfect at 38, 39 and disjoint at 40.
    # TubeDETR clip (0, 40): sampled frames in [38,41) = {38} -> vIoU 1/1
    # full clip (0, 41): frame 40 (bucket int(40*0.5)=20) is sampled too -> (1 + 0) / 2
    gt = gt_tube((38, 41))
    pred = pred_tube((38, 41), [BOX, BOX, FAR])
    assert eval_query_sampled(gt, pred, tubedetr_clip=True)['vIoU'] == pytest.approx(1.0)
    assert eval_query_sampled(gt, pred, tubedetr_clip=False)['vIoU'] == pytest.approx(0.5)


def test_sampled_video_max_len_changes_the_frames():
    # cap 5 over frames 0,2,...,38 (n=20): idx (j*20)//5 = 0,4,8,12,16 -> frames 0,8,16,24,32
    # GT = pred = [10,20), perfect boxes: sampled frames in union [10,20) = {16} -> vIoU 1/1;
    # pred [10,30): union [10,30) holds 16, 24; inter [10,20) holds 16 -> vIoU 1/2
    out = eval_query_sampled(gt_tube((10, 20)), pred_tube((10, 30)), video_max_len=5)
    assert out['vIoU'] == pytest.approx(0.5)
    assert out['tIoU'] == pytest.approx(10 / 20)


def test_sampled_needs_clip_and_fps():
    gt = gt_tube((10, 20))
    gt['fps'] = None
    with pytest.raises(ValueError, match='fps'):
        eval_query_sampled(gt, pred_tube((10, 20)), qid='q0')


# ---------------------------------------------------------------- dense (STCAT family)


def test_dense_partial_overlap():
    # GT [10,20), pred [15,24) with IoU 0.5: vIoU = 5 * 0.5 / |[10,24)| = 2.5 / 14
    out = eval_query_dense(gt_tube((10, 20)), pred_tube((15, 24), [HALF] * 9))
    assert out['tIoU'] == pytest.approx(5 / 14)
    assert out['vIoU'] == pytest.approx(2.5 / 14)


def test_dense_prediction_inside_and_outside_gt():
    # inside: pred [12,16) in GT [10,20), perfect: tIoU = vIoU = 4 / 10
    out = eval_query_dense(gt_tube((10, 20)), pred_tube((12, 16)))
    assert out['tIoU'] == pytest.approx(0.4) and out['vIoU'] == pytest.approx(0.4)
    # GT inside pred: pred [0,40): tIoU = vIoU = 10 / 40
    out = eval_query_dense(gt_tube((10, 20)), pred_tube((0, 40)))
    assert out['tIoU'] == pytest.approx(0.25) and out['vIoU'] == pytest.approx(0.25)
    # outside
    assert eval_query_dense(gt_tube((10, 20)), pred_tube((20, 30))) == dict(tIoU=0.0, vIoU=0.0)


def test_dense_interpolation_counts_the_last_gt_frame():
    # GT [10,15) BOX; pred [10,15) boxes at 10 ([0,0,10,10]) and 14 ([4,0,14,10]) only.
    # interpolated x-shift 0,1,2,3,4 -> IoU 1, 90/110, 80/120, 70/130, 60/140
    # mmstvg keeps the last GT frame (14): vIoU = (1 + 9/11 + 2/3 + 7/13 + 3/7) / 5
    pred = pred_tube((10, 15), [BOX, [4, 0, 14, 10]], frame_ids=[10, 14])
    out = eval_query_dense(gt_tube((10, 15)), pred)
    assert out['tIoU'] == pytest.approx(1.0)
    assert out['vIoU'] == pytest.approx((1 + 9 / 11 + 2 / 3 + 7 / 13 + 3 / 7) / 5)


def test_dense_single_frame():
    assert eval_query_dense(gt_tube((7, 8)), pred_tube((7, 8))) == dict(tIoU=1.0, vIoU=1.0)
    # one predicted frame inside a 5-frame GT: tIoU = vIoU = 1/5
    out = eval_query_dense(gt_tube((5, 10)), pred_tube((7, 8)))
    assert out['tIoU'] == pytest.approx(0.2) and out['vIoU'] == pytest.approx(0.2)


def test_prediction_without_boxes_scores_zero_viou():
    pred = dict(span=(10, 20), frame_ids=np.zeros(0, int), bboxes=np.zeros((0, 4)))
    out = eval_query_dense(gt_tube((10, 20)), pred)
    assert out == dict(tIoU=1.0, vIoU=0.0)


def test_gt_box_count_is_checked():
    gt = gt_tube((10, 20))
    gt['bboxes'] = gt['bboxes'][:-1]
    with pytest.raises(ValueError, match='q7'):
        eval_query_dense(gt, pred_tube((10, 20)), qid='q7')


# ---------------------------------------------------------------- hcstvg_official


def test_official_formula():
    # GT [10,15) (inclusive 10..14); pred [12,17) boxes at 12..16: perfect 12, 13; HALF at 14.
    # all_frame = max(14, 16) - min(10, 12) + 1 = 7; GT frames with a pred box: 12, 13, 14
    # tIoU = 3/7; vIoU = (1 + 1 + 0.5) / 7
    pred = pred_tube((12, 17), [BOX, BOX, HALF, BOX, BOX])
    out = eval_query_hcstvg_official(gt_tube((10, 15)), pred)
    assert out['tIoU'] == pytest.approx(3 / 7)
    assert out['vIoU'] == pytest.approx(2.5 / 7)


def test_official_does_not_interpolate_but_dense_does():
    # same GT, pred [12,17) with boxes at 12 (BOX) and 14 (HALF) only.
    # official: GT frames with a box: 12, 14 -> tIoU 2/7, vIoU (1 + 0.5)/7
    # dense: 13 interpolated to [0,0,10,7.5] (IoU .75) -> vIoU (1 + .75 + .5)/7, tIoU 3/7
    pred = pred_tube((12, 17), [BOX, HALF], frame_ids=[12, 14])
    off = eval_query_hcstvg_official(gt_tube((10, 15)), pred)
    assert off['tIoU'] == pytest.approx(2 / 7) and off['vIoU'] == pytest.approx(1.5 / 7)
    dense = eval_query_dense(gt_tube((10, 15)), pred)
    assert dense['tIoU'] == pytest.approx(3 / 7) and dense['vIoU'] == pytest.approx(2.25 / 7)


def test_official_counts_boxes_outside_the_predicted_span():
    # pred span [12,13) (st=ed=12) but boxes at 12, 13, 14 (as eval_hcvg.py: any GT frame
    # with a predicted box). all_frame = max(14, 12) - min(10, 12) + 1 = 5 -> 3/5
    pred = pred_tube((12, 13), [BOX] * 3, frame_ids=[12, 13, 14])
    out = eval_query_hcstvg_official(gt_tube((10, 15)), pred)
    assert out['tIoU'] == pytest.approx(3 / 5) and out['vIoU'] == pytest.approx(3 / 5)


def test_official_no_overlap_and_missing():
    # pred [20,25): no GT frame has a box; all_frame = 24 - 10 + 1 = 15 -> 0
    out = eval_query_hcstvg_official(gt_tube((10, 15)), pred_tube((20, 25)))
    assert out == dict(tIoU=0.0, vIoU=0.0)
    assert eval_query_hcstvg_official(gt_tube((10, 15)), None) == dict(tIoU=0.0, vIoU=0.0)


# ---------------------------------------------------------------- missing / dispatch


@pytest.mark.parametrize('protocol', ['sampled', 'dense'])
def test_missing_prediction_is_an_error(protocol):
    gts = dict(q_ok=gt_tube((10, 20)), q_missing=gt_tube((10, 20)))
    preds = dict(q_ok=pred_tube((10, 20)))
    with pytest.raises(KeyError, match='q_missing'):
        evaluate_stvg(gts, preds, protocol=protocol)


def test_missing_prediction_scores_zero_in_official():
    # q_ok: perfect (tIoU = vIoU = 1); q_missing: 0 -> means 0.5, vIoU@0.3 = vIoU@0.5 = 1/2
    gts = dict(q_ok=gt_tube((10, 20)), q_missing=gt_tube((10, 20)))
    metrics, per_query = evaluate_stvg(
        gts, dict(q_ok=pred_tube((10, 20))), protocol='hcstvg_official')
    assert metrics == {'m_tIoU': 0.5, 'm_vIoU': 0.5, 'vIoU@0.3': 0.5, 'vIoU@0.5': 0.5}
    assert [q['qid'] for q in per_query] == ['q_ok', 'q_missing']


def test_unknown_protocol():
    with pytest.raises(ValueError):
        evaluate_query(gt_tube((0, 5)), pred_tube((0, 5)), 'foo')


# ---------------------------------------------------------------- aggregation


def test_viou_exactly_at_threshold_is_not_counted():
    # dense, GT [0,10) BOX. pred [7,10) perfect: vIoU = 3/10 == 0.3 exactly (not > 0.3)
    # pred [5,10) perfect: vIoU = 5/10 == 0.5 exactly (> 0.3, not > 0.5)
    gts = dict(a=gt_tube((0, 10)), b=gt_tube((0, 10)))
    preds = dict(a=pred_tube((7, 10)), b=pred_tube((5, 10)))
    metrics, per_query = evaluate_stvg(gts, preds, protocol='dense')
    assert [q['vIoU'] for q in per_query] == [0.3, 0.5]
    assert metrics['vIoU@0.3'] == 0.5  # only b
    assert metrics['vIoU@0.5'] == 0.0  # none
    assert metrics['m_vIoU'] == pytest.approx(0.4)
    assert metrics['m_tIoU'] == pytest.approx(0.4)


def test_aggregate_strictly_greater():
    res = [dict(tIoU=0.2, vIoU=v) for v in (0.3, 0.5, 0.31, 0.51)]
    out = aggregate_stvg_results(res, iou_thresholds=(0.3, 0.5))
    assert out['vIoU@0.3'] == 0.75 and out['vIoU@0.5'] == 0.25
    assert out['m_vIoU'] == pytest.approx((0.3 + 0.5 + 0.31 + 0.51) / 4)
    assert list(out) == ['m_tIoU', 'm_vIoU', 'vIoU@0.3', 'vIoU@0.5']
    with pytest.raises(ValueError):
        aggregate_stvg_results([])


def test_per_sentence_type_split():
    # dense. d1: perfect (1, 1); d2: disjoint (0, 0); i1: pred [4,10) of GT [0,10) (0.6, 0.6)
    # all: m = 1.6/3; vIoU@0.3 = vIoU@0.5 = 2/3
    # declarative: m = 0.5, @0.3 = @0.5 = 1/2; interrogative: m = 0.6, @0.3 = @0.5 = 1
    gts = dict(
        d1=gt_tube((0, 10), sentence_type='declarative'),
        d2=gt_tube((0, 10), sentence_type='declarative'),
        i1=gt_tube((0, 10), sentence_type='interrogative'))
    preds = dict(d1=pred_tube((0, 10)), d2=pred_tube((20, 30)), i1=pred_tube((4, 10)))
    m, _ = evaluate_stvg(gts, preds, protocol='dense')
    assert m['m_vIoU'] == pytest.approx(1.6 / 3) and m['m_tIoU'] == pytest.approx(1.6 / 3)
    assert m['vIoU@0.3'] == pytest.approx(2 / 3) and m['vIoU@0.5'] == pytest.approx(2 / 3)
    assert m['declarative/m_vIoU'] == pytest.approx(0.5)
    assert m['declarative/vIoU@0.5'] == pytest.approx(0.5)
    assert m['interrogative/m_tIoU'] == pytest.approx(0.6)
    assert m['interrogative/vIoU@0.5'] == pytest.approx(1.0)
    assert len(m) == 12


def test_no_sentence_type_no_prefixed_keys():
    m, _ = evaluate_stvg(dict(a=gt_tube((0, 10))), dict(a=pred_tube((0, 10))), 'dense')
    assert set(m) == {'m_tIoU', 'm_vIoU', 'vIoU@0.3', 'vIoU@0.5'}


def test_skipped_queries_count_as_failures():
    # scored: tIoU 1.0 / vIoU 0.8 and tIoU 0.5 / vIoU 0.4 (declarative); 2 skipped queries.
    # as failures: m_tIoU = 1.5 / 4, m_vIoU = 1.2 / 4, vIoU@0.3 = 2/4, vIoU@0.5 = 1/4;
    # per type over the scored: m_vIoU = 1.2 / 2, vIoU@0.5 = 1/2.
    res = [
        dict(tIoU=1.0, vIoU=0.8, sentence_type='declarative'),
        dict(tIoU=0.5, vIoU=0.4, sentence_type='declarative')
    ]
    out = aggregate_stvg_results(res, num_skipped=2)
    assert out == pytest.approx({
        'm_tIoU': 1.5 / 4,
        'm_vIoU': 1.2 / 4,
        'vIoU@0.3': 0.5,
        'vIoU@0.5': 0.25,
        'declarative/m_tIoU': 0.75,
        'declarative/m_vIoU': 0.6,
        'declarative/vIoU@0.3': 1.0,
        'declarative/vIoU@0.5': 0.5,
        'num_queries': 2,
        'num_skipped': 2
    })
    out = aggregate_stvg_results(res, num_skipped=2, skipped_as_failures=False)
    assert out['m_vIoU'] == pytest.approx(0.6) and out['vIoU@0.5'] == 0.5
    assert out['num_skipped'] == 2
    with pytest.raises(ValueError, match=r'no valid query left to score \(3 skipped'):
        aggregate_stvg_results([], num_skipped=3)


@pytest.mark.parametrize('protocol', ['sampled', 'dense', 'hcstvg_official'])
def test_invalid_predictions_score_zero(protocol):
    # a: perfect (1, 1); b: its prediction was malformed -> (0, 0) under every protocol
    # (no "missing prediction" error); means 0.5, counted in its sentence type.
    gts = dict(
        a=gt_tube((10, 20), sentence_type='declarative'),
        b=gt_tube((10, 20), sentence_type='interrogative'))
    m, per_query = evaluate_stvg(
        gts, dict(a=pred_tube((10, 20))), protocol, invalid_preds=['b', 'not_in_gt'])
    assert m['m_tIoU'] == m['m_vIoU'] == 0.5 and m['vIoU@0.5'] == 0.5
    assert m['interrogative/m_vIoU'] == 0.0 and 'num_skipped' not in m
    assert per_query[1] == dict(
        qid='b', sentence_type='interrogative', tIoU=0.0, vIoU=0.0, invalid_prediction=True)


def test_union_end_text_matches_tubedetr_since_may_2022():
    """TubeDETR's evaluators compute the union end with max (fixed May 2022, issue #3);
    only its first release used min. The docs must not say otherwise."""
    import os.path as osp

    from mmstvg.evaluation.functional import stvg_protocols
    root = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    with open(osp.join(root, 'docs', 'evaluation_protocols.md')) as f:
        docs = f.read()
    for text in (stvg_protocols.__doc__, docs):
        flat = ' '.join(text.split())
        assert "TubeDETR's released code computes" not in flat
        assert 'since May 2022' in flat and 'first release' in flat
    # the rule itself: GT [10, 20), pred [15, 30): sampled frames 0, 2, ..., 38;
    # union [10, 30) holds 10 of them (max end), not the 5 of [10, 20) (min end);
    # inter [15, 20): 16, 18 perfect -> vIoU = 2 / 10
    out = eval_query_sampled(gt_tube((10, 20)), pred_tube((15, 30)))
    assert out['vIoU'] == pytest.approx(2 / 10)
