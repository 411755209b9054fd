"""Evaluation protocols as registered objects (``EVAL_PROTOCOLS``): built by name or config
by STVGMetric and eval_submission alike, and a protocol added in one file (here: in this test
file) is usable by both by its name. Hand-computed numbers in the comments."""
import os.path as osp
from typing import Any, Dict, Mapping

import numpy as np
import pytest

from mmstvg.evaluation import (BaseProtocol, DenseProtocol, HCSTVGOfficialProtocol,
                               SampledProtocol, STVGMetric)
from mmstvg.evaluation.functional import (build_protocol, elementwise_box_iou, evaluate_stvg,
                                          protocol_names)
from mmstvg.registry import EVAL_PROTOCOLS
from mmstvg.structures import STVGDataSample, Tube, temporal_iou
from mmstvg.testing import dump_json, hcstvg_v1_record, import_script

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
BOX = [0.0, 0.0, 10.0, 10.0]
HALF = [0.0, 0.0, 10.0, 5.0]  # IoU(HALF, BOX) = 0.5


class KeyframeProtocol(BaseProtocol):
    """A protocol of one file, as the keyframe / MLLM ones to come: only the GT frame at
    ``keyframe`` (fraction of the GT span) counts; vIoU is the IoU there (0 when the frame is
    outside the predicted span); a missing prediction scores 0."""

    missing_pred_scores_zero = True

    def __init__(self, keyframe: float = 0.5) -> None:
        self.keyframe = float(keyframe)

    def score(self, gt: Mapping, pred: Any, qid=None) -> Dict[str, float]:
        gt, pred = Tube(gt['span'], bboxes=gt['bboxes']), Tube.from_element(pred)
        frame = gt.span[0] + int(self.keyframe * (gt.span[1] - gt.span[0]))
        inside = pred.span[0] <= frame < pred.span[1]
        viou = float(
            elementwise_box_iou(pred.interpolate([frame]), gt.bboxes[[frame - gt.span[0]
                                                                      ]])[0]) if inside else 0.
        return dict(tIoU=temporal_iou(pred.span, gt.span), vIoU=viou)


@pytest.fixture
def keyframe_protocol():
    """``KeyframeProtocol`` registered as ``'test_keyframe'`` for one test."""
    EVAL_PROTOCOLS.register_module(name='test_keyframe', module=KeyframeProtocol)
    yield 'test_keyframe'
    EVAL_PROTOCOLS.module_dict.pop('test_keyframe')


def gt_query(span, box=BOX, clip=(0, 41), fps=10.0):
    return dict(
        span=span,
        bboxes=np.tile(box, (span[1] - span[0], 1)),
        clip=clip,
        fps=fps,
        num_frames=clip[1],
        sentence_type=None)


def test_the_built_in_protocols_are_registered():
    assert {'sampled', 'dense', 'hcstvg_official'} <= set(protocol_names())
    assert EVAL_PROTOCOLS.get('sampled') is SampledProtocol
    assert EVAL_PROTOCOLS.get('dense') is DenseProtocol
    assert EVAL_PROTOCOLS.get('hcstvg_official') is HCSTVGOfficialProtocol
    sampled = build_protocol('sampled')
    assert (sampled.eval_fps, sampled.video_max_len, sampled.tubedetr_clip) == (5.0, 200, True)
    assert sampled.name == 'sampled' and not sampled.missing_pred_scores_zero
    assert repr(sampled) == 'SampledProtocol(eval_fps=5.0, video_max_len=200, tubedetr_clip=True)'
    custom = build_protocol(dict(type='sampled', eval_fps=2, tubedetr_clip=False))
    assert (custom.eval_fps, custom.video_max_len, custom.tubedetr_clip) == (2.0, 200, False)
    assert build_protocol(custom) is custom
    official = build_protocol('hcstvg_official')
    assert official.missing_pred_scores_zero and official.name == 'hcstvg_official'


def test_bad_protocols_are_clear_errors():
    with pytest.raises(ValueError, match=r"unknown STVG protocol 'foo'; choose from \[.*'dense'"):
        build_protocol('foo')
    with pytest.raises(ValueError, match='unknown STVG protocol'):
        STVGMetric(protocol=dict(type='foo'))
    with pytest.raises(ValueError, match='eval_fps must be > 0'):
        build_protocol(dict(type='sampled', eval_fps=0))
    with pytest.raises(TypeError, match='eval_fps'):
        build_protocol(dict(type='dense', eval_fps=5))  # dense has no such parameter


def test_prepare_pred_of_the_official_protocol_densifies():
    pred = Tube((2, 5), [2, 4], [BOX, HALF])
    assert build_protocol('dense').prepare_pred(pred) is pred
    dense = build_protocol('hcstvg_official').prepare_pred(pred)
    assert dense.frame_ids.tolist() == [2, 3, 4]
    np.testing.assert_allclose(dense.bboxes[1], [0, 0, 10, 7.5])


def test_metric_takes_a_protocol_config_and_the_old_keyword_arguments():
    # GT [10, 20), pred [15, 24) with IoU-0.5 boxes, clip (0, 41) at 10 fps; at eval_fps 2.5
    # (frames 0, 4, ..., 36): inter [15, 20) holds 16 -> 0.5; union [10, 24) holds 12, 16, 20
    # -> vIoU = 0.5 / 3 (test_stvg_metric.py, test_sampled_uses_clip_and_fps_from_metainfo)
    gts = dict(q=gt_query((10, 20)))
    preds = dict(q=Tube((15, 24), np.arange(15, 24), [HALF] * 9))
    metric = STVGMetric(protocol=dict(type='sampled', eval_fps=2.5))
    assert isinstance(metric.protocol, SampledProtocol) and metric.protocol.eval_fps == 2.5
    m, _ = evaluate_stvg(gts, preds, metric.protocol)
    assert m['m_vIoU'] == pytest.approx(0.5 / 3)
    # the old form: forwarded to the protocol (overriding its config), with a FutureWarning
    with pytest.warns(FutureWarning, match=r"write protocol=dict\(type='sampled', eval_fps=2.5"):
        old = STVGMetric(protocol='sampled', eval_fps=2.5)
    assert old.protocol.eval_fps == 2.5 and old.protocol.video_max_len == 200
    with pytest.warns(FutureWarning):
        old = STVGMetric(protocol=dict(type='sampled', eval_fps=5), eval_fps=2.5)
    assert old.protocol.eval_fps == 2.5
    # a protocol without that parameter ignores it, as it always did, and says so
    with pytest.warns(UserWarning, match="the 'dense' protocol has no parameter eval_fps"):
        old = STVGMetric(protocol='dense', eval_fps=2.5, video_max_len=100)
    assert isinstance(old.protocol, DenseProtocol)


def test_a_protocol_registered_in_a_test_file_works_in_the_metric(keyframe_protocol):
    # GT [10, 20), pred [15, 24) HALF boxes: tIoU = 5 / 14; keyframe 0.5 -> frame 15, inside
    # the prediction -> vIoU 0.5; keyframe 0.2 -> frame 12, outside -> 0. The query without
    # prediction scores 0 under this protocol: means over 2 queries.
    samples = []
    for qid, with_pred in (('q', True), ('q_nopred', False)):
        sample = STVGDataSample(metainfo=dict(qid=qid, clip=(0, 41), fps=10.0, num_frames=41))
        sample.gt_tube = Tube((10, 20), bboxes=[BOX] * 10).to_element()
        if with_pred:
            sample.pred_tube = Tube((15, 24), np.arange(15, 24), [HALF] * 9).to_element()
        samples.append(sample.to_dict())
    cases = [(keyframe_protocol, 0.5), (dict(type=keyframe_protocol, keyframe=0.2), 0.0)]
    for protocol, viou in cases:
        metric = STVGMetric(protocol=protocol)
        assert isinstance(metric.protocol, KeyframeProtocol)
        metric.process({}, samples)
        out = metric.evaluate(len(samples))
        assert out['m_tIoU'] == pytest.approx(5 / 14 / 2)
        assert out['m_vIoU'] == pytest.approx(viou / 2)


# HC-STVG v1 record: st_frame 3, 4 boxes -> span [2, 6), xyxy [10, 20, 40, 60]; 100 frames in
# 20 s -> 5 fps
ANN = {'a.mp4': hcstvg_v1_record(bbox=[[10, 20, 30, 40]] * 4, st_frame=3)}
BOX_A = [10.0, 20.0, 40.0, 60.0]


def _files(tmp_path, first):
    """The annotation file and a submission predicting 1-based first..6 with exact boxes."""
    ann = dump_json(tmp_path / 'ann.json', ANN)
    entry = dict(st_frame=first, ed_frame=6, bbox={str(f): BOX_A for f in range(first, 7)})
    return ann, dump_json(tmp_path / 'pred.json', {'a.mp4': entry})


def test_eval_submission_takes_any_registered_protocol_by_name(keyframe_protocol, tmp_path,
                                                               capsys):
    # pred 1-based 5..6 = [4, 6), GT [2, 6): tIoU 2/4; keyframe 0.5 -> frame 4, inside -> 1;
    # keyframe 0 -> frame 2, outside the prediction -> 0
    tool = import_script(osp.join(ROOT, 'tools', 'analysis_tools', 'eval_submission.py'))
    ann, pred = _files(tmp_path, 5)
    out = tool.main(['--ann', ann, '--pred', pred, '--protocol', keyframe_protocol])
    assert out == pytest.approx({'m_tIoU': 0.5, 'm_vIoU': 1.0, 'vIoU@0.3': 1.0, 'vIoU@0.5': 1.0})
    out = tool.main([
        '--ann', ann, '--pred', pred, '--protocol', keyframe_protocol, '--protocol-options',
        'keyframe=0'
    ])
    assert out['m_vIoU'] == 0.0 and out['m_tIoU'] == pytest.approx(0.5)
    capsys.readouterr()


def test_eval_submission_flags_are_the_protocol_parameters(tmp_path):
    # pred 1-based 4..6 = [3, 6), GT [2, 6), exact boxes, 5 fps, TubeDETR clip [0, 99).
    # sampled at 5 fps: every frame; union [2, 6) 4 frames, inter 3 -> vIoU 3/4.
    # at eval_fps 2.5 (frames 0, 2, 4, ...): union {2, 4}, inter {4} -> 1/2.
    # dense: 3/4 whatever eval_fps says (it has no such parameter: ignored, with a warning)
    tool = import_script(osp.join(ROOT, 'tools', 'analysis_tools', 'eval_submission.py'))
    ann, pred = _files(tmp_path, 4)
    common = ['--ann', ann, '--pred', pred, '--protocol']
    assert tool.main(common + ['sampled'])['m_vIoU'] == pytest.approx(0.75)
    assert tool.main(common + ['sampled', '--eval-fps', '2.5'])['m_vIoU'] == pytest.approx(0.5)
    assert tool.main(common + ['sampled', '--protocol-options', 'eval_fps=2.5'])['m_vIoU'] == \
        pytest.approx(0.5)
    with pytest.warns(UserWarning, match="'dense' protocol has no parameter eval_fps"):
        assert tool.main(common + ['dense', '--eval-fps', '2.5'])['m_vIoU'] == \
            pytest.approx(0.75)
    with pytest.raises(SystemExit):  # not a registered protocol
        tool.main(common + ['foo'])
