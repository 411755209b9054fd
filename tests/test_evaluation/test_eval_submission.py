"""tools/analysis_tools/eval_submission.py: annotation parsing through the mmstvg datasets,
hand-computed scores, and the dump -> re-score round trip with STVGMetric."""
import importlib.util
import json
import os.path as osp

import mmengine
import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement

from mmstvg.evaluation import STVGMetric
from mmstvg.structures import STVGDataSample

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# HC-STVG v1 layout: xywh boxes, 1-based st_frame, img_num frames in 20 s.
# a.mp4: st_frame 3, 4 boxes -> mmstvg span [2, 6), xyxy [10, 20, 40, 60]
# b.mkv: st_frame 1, 3 boxes -> mmstvg span [0, 3), xyxy [0, 0, 50, 50]
HCSTVG_ANN = {
    'a.mp4': dict(bbox=[[10, 20, 30, 40]] * 4, st_frame=3, st_time=0.45, ed_time=1.2,
                  img_num=100, caption='The man in black walks.', width=640, height=360),
    'b.mkv': dict(bbox=[[0, 0, 50, 50]] * 3, st_frame=1, st_time=0.0, ed_time=0.6,
                  img_num=80, caption='The woman sits down.', width=640, height=360),
}
BOX_A = [10.0, 20.0, 40.0, 60.0]


def load_tool():
    path = osp.join(ROOT, 'tools', 'analysis_tools', 'eval_submission.py')
    spec = importlib.util.spec_from_file_location('eval_submission', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def hcstvg_ann(tmp_path):
    path = str(tmp_path / 'test.json')
    mmengine.dump(HCSTVG_ANN, path)
    return path


def run_tool(tool, capsys, argv):
    out = tool.main(argv)
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == pytest.approx(dict(out))  # the last line is the JSON
    return json.loads(last)


def test_hcstvg_gt_is_parsed_by_the_dataset(hcstvg_ann):
    gts = load_tool().load_gt_queries(hcstvg_ann)
    assert list(gts) == ['a.mp4', 'b.mkv']
    assert gts['a.mp4']['span'] == (2, 6)
    np.testing.assert_allclose(gts['a.mp4']['bboxes'], [BOX_A] * 4)
    assert gts['b.mkv']['span'] == (0, 3)


def test_official_perfect_and_missing(hcstvg_ann, tmp_path, capsys):
    # a.mp4 perfect in the challenge format (1-based inclusive 3..6) -> (1, 1); b.mkv
    # missing -> 0.  Means 0.5; vIoU@0.3 = vIoU@0.5 = 1/2.
    sub = {'a.mp4': dict(st_frame=3, ed_frame=6, bbox={str(f): BOX_A for f in range(3, 7)})}
    pred = str(tmp_path / 'pred.json')
    mmengine.dump(sub, pred)
    out = run_tool(load_tool(), capsys,
                   ['--ann', hcstvg_ann, '--pred', pred, '--protocol', 'hcstvg_official'])
    assert out == {'m_tIoU': 0.5, 'm_vIoU': 0.5, 'vIoU@0.3': 0.5, 'vIoU@0.5': 0.5}


def test_zero_based_submission_is_off_by_one(hcstvg_ann, tmp_path, capsys):
    # a.mp4 written 0-based (st 2, ed 5, keys 2..5): GT frames (1-based 3..6) with a box:
    # 3, 4, 5; all_frame = max(6, 5) - min(3, 2) + 1 = 5 -> tIoU = vIoU = 3/5;
    # b.mkv perfect (keys 1..3) -> 1.  Means (0.6 + 1) / 2 = 0.8
    sub = {'a.mp4': dict(st_frame=2, ed_frame=5, bbox={str(f): BOX_A for f in range(2, 6)}),
           'b.mkv': dict(st_frame=1, ed_frame=3, bbox={str(f): [0, 0, 50, 50]
                                                       for f in range(1, 4)})}
    pred = str(tmp_path / 'pred.json')
    mmengine.dump(sub, pred)
    out = run_tool(load_tool(), capsys,
                   ['--ann', hcstvg_ann, '--pred', pred, '--protocol', 'hcstvg_official'])
    assert out['m_tIoU'] == pytest.approx(0.8) and out['m_vIoU'] == pytest.approx(0.8)


def test_dense_missing_prediction_is_an_error(hcstvg_ann, tmp_path):
    pred = str(tmp_path / 'pred.json')
    mmengine.dump({'a.mp4': dict(st_frame=3, ed_frame=6, bbox={'3': BOX_A})}, pred)
    with pytest.raises(KeyError, match='b.mkv'):
        load_tool().main(['--ann', hcstvg_ann, '--pred', pred, '--protocol', 'dense'])


@pytest.mark.parametrize('protocol', ['sampled', 'dense', 'hcstvg_official'])
def test_metric_dump_then_eval_submission_round_trip(hcstvg_ann, tmp_path, capsys, protocol):
    """STVGMetric on data samples built from the dataset's data_info, dumped with
    ``submission_file``; eval_submission on that file reports the same numbers."""
    tool = load_tool()
    dataset = tool.build_dataset(hcstvg_ann, 'hcstvg')
    rng = np.random.RandomState(1)
    samples = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        sample = STVGDataSample(metainfo=dict(
            qid=info['qid'], video_name=info['video_name'], clip=info['clip'],
            fps=info['fps'], num_frames=info['num_frames'],
            sentence_type=info['sentence_type']))
        sample.gt_tube = BaseDataElement(span=torch.tensor(info['gt_span']),
                                         bboxes=torch.as_tensor(info['gt_bboxes']))
        start = int(info['gt_span'][0]) + i
        ids = np.arange(start, start + 7, 2)  # sparse keyframes, interpolated in between
        boxes = np.asarray(info['gt_bboxes'][:1], float) + rng.uniform(-8, 8, (len(ids), 4))
        sample.pred_tube = BaseDataElement(
            span=torch.tensor([start, start + 7]), frame_ids=torch.as_tensor(ids),
            bboxes=torch.as_tensor(boxes, dtype=torch.float32))
        samples.append(sample.to_dict())
    pred = str(tmp_path / 'submit.json')
    metric = STVGMetric(protocol=protocol, submission_file=pred)
    metric.process({}, samples)
    metric_out = metric.evaluate(len(samples))
    assert 0 < metric_out['m_vIoU'] < 1
    tool_out = run_tool(tool, capsys,
                        ['--ann', hcstvg_ann, '--pred', pred, '--protocol', protocol])
    assert set(tool_out) == set(metric_out)
    for key in metric_out:
        assert tool_out[key] == pytest.approx(metric_out[key], abs=1e-6), key


@pytest.fixture
def vidstg_files(tmp_path):
    """One VidSTG segment record (a caption and a question on tid 0) and its VidOR box file.

    used_segment [0, 29] -> clip [0, 30); temporal_gt [5, 15) (end exclusive); the dog's box
    is [10, 10, 50, 50] in every frame. qids: ``v1_0_29_d0`` and ``v1_0_29_i0``.
    """
    obj = [dict(tid=0, category='dog')]
    record = dict(vid='v1', fps=10.0, frame_count=30, width=100, height=100,
                  used_segment=dict(begin_fid=0, end_fid=29),
                  temporal_gt=dict(begin_fid=5, end_fid=15),
                  used_relation=dict(subject_tid=0, object_tid=0, predicate='run',
                                     begin_fid=5, end_fid=15),
                  captions=[dict(description='a dog runs.', type='object', target_id=0)],
                  questions=[dict(description='what runs?', type='object', target_id=0)])
    record['subject/objects'] = obj
    box = dict(tid=0, bbox=dict(xmin=10, ymin=10, xmax=50, ymax=50), generated=0,
               tracker='none')
    vidor = dict(video_id='v1', video_path='0000/v1.mp4', frame_count=30, fps=10, width=100,
                 height=100, trajectories=[[box] for _ in range(30)])
    vidor['subject/objects'] = obj
    ann = str(tmp_path / 'test_annotations.json')
    mmengine.dump([record], ann)
    vidor_dir = tmp_path / 'vidor'
    vidor_dir.mkdir()
    mmengine.dump(vidor, str(vidor_dir / 'v1.json'))
    return ann, str(vidor_dir)


def test_vidstg_per_sentence_type(vidstg_files, tmp_path, capsys):
    # dense. d0: perfect over [5,15) -> (1, 1); i0: pred [10,15) perfect -> tIoU = vIoU = 5/10.
    # all: m = 0.75, vIoU@0.3 = 1, vIoU@0.5 = 1/2 (0.5 is not > 0.5)
    # declarative: 1, 1, 1, 1; interrogative: 0.5, 0.5, 1, 0
    ann, vidor_dir = vidstg_files
    box = [10, 10, 50, 50]
    sub = {'v1_0_29_d0': dict(st_frame=6, ed_frame=15, bbox={str(f): box
                                                              for f in range(6, 16)}),
           'v1_0_29_i0': dict(st_frame=11, ed_frame=15, bbox={str(f): box
                                                               for f in range(11, 16)})}
    pred = str(tmp_path / 'pred.json')
    mmengine.dump(sub, pred)
    out = run_tool(load_tool(), capsys, ['--ann', ann, '--pred', pred, '--protocol', 'dense',
                                         '--vidor-dir', vidor_dir])
    assert out == pytest.approx({
        'm_tIoU': 0.75, 'm_vIoU': 0.75, 'vIoU@0.3': 1.0, 'vIoU@0.5': 0.5,
        'declarative/m_tIoU': 1.0, 'declarative/m_vIoU': 1.0,
        'declarative/vIoU@0.3': 1.0, 'declarative/vIoU@0.5': 1.0,
        'interrogative/m_tIoU': 0.5, 'interrogative/m_vIoU': 0.5,
        'interrogative/vIoU@0.3': 1.0, 'interrogative/vIoU@0.5': 0.0})


def test_vidstg_sampled_uses_the_segment_clip(vidstg_files, tmp_path, capsys):
    # sampled: clip [0, 30) -> TubeDETR clip [0, 29), 10 fps, eval 5: frames 0, 2, ..., 28.
    # d0 pred [5,15) perfect: frames in [5,15): 6, 8, 10, 12, 14 -> vIoU 5/5 = 1
    # i0 pred [10,20) perfect: inter [10,15) holds 10, 12, 14 (3); union [5,20) holds
    # 6, ..., 18 (7) -> vIoU 3/7; tIoU 5/15.
    ann, vidor_dir = vidstg_files
    box = [10, 10, 50, 50]
    sub = {'v1_0_29_d0': dict(st_frame=6, ed_frame=15, bbox={str(f): box
                                                              for f in range(6, 16)}),
           'v1_0_29_i0': dict(st_frame=11, ed_frame=20, bbox={str(f): box
                                                               for f in range(11, 21)})}
    pred = str(tmp_path / 'pred.json')
    mmengine.dump(sub, pred)
    out = run_tool(load_tool(), capsys, ['--ann', ann, '--pred', pred, '--protocol', 'sampled',
                                         '--dataset', 'vidstg', '--vidor-dir', vidor_dir])
    assert out['declarative/m_vIoU'] == pytest.approx(1.0)
    assert out['interrogative/m_vIoU'] == pytest.approx(3 / 7)
    assert out['interrogative/m_tIoU'] == pytest.approx(5 / 15)


def test_vidstg_needs_the_vidor_dir(vidstg_files, tmp_path):
    ann, _ = vidstg_files
    pred = str(tmp_path / 'pred.json')
    mmengine.dump({}, pred)
    with pytest.raises(ValueError, match='vidor'):
        load_tool().main(['--ann', ann, '--pred', pred, '--protocol', 'dense'])
