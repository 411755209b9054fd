"""tools/analysis_tools/eval_submission.py: annotation parsing through the mmstvg datasets,
hand-computed scores, and the dump -> re-score round trip with STVGMetric."""
import json
import os.path as osp

import mmengine
import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement

from mmstvg.datasets import HCSTVGAnnotation, VidSTGAnnotation
from mmstvg.datasets.annotation_file import build_annotation_dataset, guess_annotation_format
from mmstvg.datasets.base_stvg_dataset import EmptyDatasetError
from mmstvg.evaluation import STVGMetric
from mmstvg.evaluation.functional import InvalidSubmissionError, submission_to_tubes
from mmstvg.structures import STVGDataSample
from mmstvg.testing import import_script
from mmstvg.utils import json_io
from mmstvg.utils.json_io import JSONFileError

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# HC-STVG v1 layout: xywh boxes, 1-based st_frame, img_num frames in 20 s.
# a.mp4: st_frame 3, 4 boxes -> mmstvg span [2, 6), xyxy [10, 20, 40, 60]
# b.mkv: st_frame 1, 3 boxes -> mmstvg span [0, 3), xyxy [0, 0, 50, 50]
HCSTVG_ANN = {
    'a.mp4':
    dict(
        bbox=[[10, 20, 30, 40]] * 4,
        st_frame=3,
        st_time=0.45,
        ed_time=1.2,
        img_num=100,
        caption='The man in black walks.',
        width=640,
        height=360),
    'b.mkv':
    dict(
        bbox=[[0, 0, 50, 50]] * 3,
        st_frame=1,
        st_time=0.0,
        ed_time=0.6,
        img_num=80,
        caption='The woman sits down.',
        width=640,
        height=360),
}
BOX_A = [10.0, 20.0, 40.0, 60.0]


def load_tool():
    return import_script(osp.join(ROOT, 'tools', 'analysis_tools', 'eval_submission.py'))


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
    sub = {
        'a.mp4': dict(st_frame=2, ed_frame=5, bbox={str(f): BOX_A
                                                    for f in range(2, 6)}),
        'b.mkv': dict(st_frame=1, ed_frame=3, bbox={str(f): [0, 0, 50, 50]
                                                    for f in range(1, 4)})
    }
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


@pytest.mark.parametrize('suffix', ['.json', '.npz'])
@pytest.mark.parametrize('protocol', ['sampled', 'dense', 'hcstvg_official'])
def test_metric_dump_then_eval_submission_round_trip(hcstvg_ann, tmp_path, capsys, protocol,
                                                     suffix):
    """STVGMetric on data samples built from the dataset's data_info, dumped with
    ``submission_file`` (the challenge JSON, or the compact .npz form); eval_submission on
    that file reports the same numbers."""
    tool = load_tool()
    dataset = build_annotation_dataset(hcstvg_ann, 'hcstvg')
    rng = np.random.RandomState(1)
    samples = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        sample = STVGDataSample(
            metainfo=dict(
                qid=info['qid'],
                video_name=info['video_name'],
                clip=info['clip'],
                fps=info['fps'],
                num_frames=info['num_frames'],
                sentence_type=info['sentence_type']))
        sample.gt_tube = BaseDataElement(
            span=torch.tensor(info['gt_span']), bboxes=torch.as_tensor(info['gt_bboxes']))
        start = int(info['gt_span'][0]) + i
        ids = np.arange(start, start + 7, 2)  # sparse keyframes, interpolated in between
        boxes = np.asarray(info['gt_bboxes'][:1], float) + rng.uniform(-8, 8, (len(ids), 4))
        sample.pred_tube = BaseDataElement(
            span=torch.tensor([start, start + 7]),
            frame_ids=torch.as_tensor(ids),
            bboxes=torch.as_tensor(boxes, dtype=torch.float32))
        samples.append(sample.to_dict())
    pred = str(tmp_path / f'submit{suffix}')
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
    record = dict(
        vid='v1',
        fps=10.0,
        frame_count=30,
        width=100,
        height=100,
        used_segment=dict(begin_fid=0, end_fid=29),
        temporal_gt=dict(begin_fid=5, end_fid=15),
        used_relation=dict(subject_tid=0, object_tid=0, predicate='run', begin_fid=5, end_fid=15),
        captions=[dict(description='a dog runs.', type='object', target_id=0)],
        questions=[dict(description='what runs?', type='object', target_id=0)])
    record['subject/objects'] = obj
    box = dict(tid=0, bbox=dict(xmin=10, ymin=10, xmax=50, ymax=50), generated=0, tracker='none')
    vidor = dict(
        video_id='v1',
        video_path='0000/v1.mp4',
        frame_count=30,
        fps=10,
        width=100,
        height=100,
        trajectories=[[box] for _ in range(30)])
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
    sub = {
        'v1_0_29_d0': dict(st_frame=6, ed_frame=15, bbox={str(f): box
                                                          for f in range(6, 16)}),
        'v1_0_29_i0': dict(st_frame=11, ed_frame=15, bbox={str(f): box
                                                           for f in range(11, 16)})
    }
    pred = str(tmp_path / 'pred.json')
    mmengine.dump(sub, pred)
    out = run_tool(load_tool(), capsys,
                   ['--ann', ann, '--pred', pred, '--protocol', 'dense', '--vidor-dir', vidor_dir])
    assert out == pytest.approx({
        'm_tIoU': 0.75,
        'm_vIoU': 0.75,
        'vIoU@0.3': 1.0,
        'vIoU@0.5': 0.5,
        'declarative/m_tIoU': 1.0,
        'declarative/m_vIoU': 1.0,
        'declarative/vIoU@0.3': 1.0,
        'declarative/vIoU@0.5': 1.0,
        'interrogative/m_tIoU': 0.5,
        'interrogative/m_vIoU': 0.5,
        'interrogative/vIoU@0.3': 1.0,
        'interrogative/vIoU@0.5': 0.0
    })


def test_vidstg_sampled_uses_the_segment_clip(vidstg_files, tmp_path, capsys):
    # sampled: clip [0, 30) -> TubeDETR clip [0, 29), 10 fps, eval 5: frames 0, 2, ..., 28.
    # d0 pred [5,15) perfect: frames in [5,15): 6, 8, 10, 12, 14 -> vIoU 5/5 = 1
    # i0 pred [10,20) perfect: inter [10,15) holds 10, 12, 14 (3); union [5,20) holds
    # 6, ..., 18 (7) -> vIoU 3/7; tIoU 5/15.
    ann, vidor_dir = vidstg_files
    box = [10, 10, 50, 50]
    sub = {
        'v1_0_29_d0': dict(st_frame=6, ed_frame=15, bbox={str(f): box
                                                          for f in range(6, 16)}),
        'v1_0_29_i0': dict(st_frame=11, ed_frame=20, bbox={str(f): box
                                                           for f in range(11, 21)})
    }
    pred = str(tmp_path / 'pred.json')
    mmengine.dump(sub, pred)
    out = run_tool(load_tool(), capsys, [
        '--ann', ann, '--pred', pred, '--protocol', 'sampled', '--dataset', 'vidstg',
        '--vidor-dir', vidor_dir
    ])
    assert out['declarative/m_vIoU'] == pytest.approx(1.0)
    assert out['interrogative/m_vIoU'] == pytest.approx(3 / 7)
    assert out['interrogative/m_tIoU'] == pytest.approx(5 / 15)


def test_vidstg_needs_the_vidor_dir(vidstg_files, tmp_path):
    ann, _ = vidstg_files
    pred = str(tmp_path / 'pred.json')
    mmengine.dump({}, pred)
    with pytest.raises(ValueError, match='vidor'):
        load_tool().main(['--ann', ann, '--pred', pred, '--protocol', 'dense'])


def test_build_annotation_dataset_by_format(hcstvg_ann, vidstg_files, tmp_path):
    """The helper both eval_submission and visualize_tube parse GT with: the format from the
    JSON type (dict: HC-STVG, list: VidSTG), test mode, no pipeline (the annotation classes,
    without torch); clear errors naming the file."""
    ann, vidor_dir = vidstg_files
    assert guess_annotation_format(hcstvg_ann) == 'hcstvg'
    assert guess_annotation_format(ann) == 'vidstg'
    hc = build_annotation_dataset(hcstvg_ann)
    assert type(hc) is HCSTVGAnnotation and hc.test_mode and len(hc) == 2
    assert [hc.get_data_info(i)['gt_span'] for i in range(2)] == [(2, 6), (0, 3)]
    vid = build_annotation_dataset(ann, 'auto', vidor_dir)
    assert type(vid) is VidSTGAnnotation and len(vid) == 2
    with pytest.raises(ValueError, match=f'{ann}.*VidOR'):
        build_annotation_dataset(ann)
    with pytest.raises(ValueError, match=f'{hcstvg_ann}.*unknown annotation format .hcstvg2'):
        build_annotation_dataset(hcstvg_ann, 'hcstvg2')


def test_annotation_format_guess_does_not_parse_the_file(hcstvg_ann, vidstg_files, tmp_path,
                                                         monkeypatch):
    """With format 'auto' the annotation JSON is parsed once (by the dataset, which
    validates it), not a second time to tell a dict from a list: the guess reads the first
    character, or the content the caller has already parsed."""
    ann, vidor_dir = vidstg_files
    parsed = []
    real_loads, real_fast_loads = json.loads, json_io._fast_loads

    def counting_loads(text, *args, **kwargs):  # load_json's careful parse
        if 'object_pairs_hook' in kwargs:
            parsed.append(text[:20])
        return real_loads(text, *args, **kwargs)

    def counting_fast_loads(text):  # load_json's fast parse
        parsed.append(text[:20])
        return real_fast_loads(text)

    monkeypatch.setattr(json, 'loads', counting_loads)
    monkeypatch.setattr(json_io, '_fast_loads', counting_fast_loads)
    assert len(build_annotation_dataset(hcstvg_ann)) == 2
    assert len(parsed) == 1
    assert guess_annotation_format(ann) == 'vidstg' and len(parsed) == 1
    # already-parsed content decides, whatever the file holds
    assert guess_annotation_format(ann, content={'v.mp4': {}}) == 'hcstvg'
    assert guess_annotation_format(hcstvg_ann, content=[]) == 'vidstg'
    # leading whitespace and a BOM are skipped; anything else is a clear error
    spaced = _write_text(tmp_path / 'spaced.json', '\ufeff \n\t[]')
    assert guess_annotation_format(spaced) == 'vidstg'
    bad = _write_text(tmp_path / 'bad.json', '  "a string"')
    with pytest.raises(JSONFileError, match=f'{bad}: neither a JSON object.*starts with'):
        build_annotation_dataset(bad)
    empty = _write_text(tmp_path / 'empty.json', '\n')
    with pytest.raises(JSONFileError, match=f'{empty}: the file is empty'):
        guess_annotation_format(empty)


# ------------------------------------------------------------------------------- bad input
def _entry(first, last, box=BOX_A):
    """A well-formed entry: 1-based inclusive frames first..last, one box each."""
    return dict(st_frame=first, ed_frame=last, bbox={str(f): box for f in range(first, last + 1)})


def _write_text(path, text):
    with open(path, 'w') as f:
        f.write(text)
    return str(path)


# c.mp4: st_frame 5, 2 boxes -> span [4, 6), xyxy [0, 0, 20, 20]
C_REC = dict(
    bbox=[[0, 0, 20, 20]] * 2,
    st_frame=5,
    img_num=60,
    caption='A dog sits.',
    width=640,
    height=360)


def test_duplicate_qid_in_submission_is_refused(hcstvg_ann, tmp_path):
    entry = json.dumps(_entry(3, 6))
    pred = _write_text(
        tmp_path / 'pred.json', f'{{\n"a.mp4": {entry},\n"b.mkv": {json.dumps(_entry(1, 3))},\n'
        f'"a.mp4": {json.dumps(_entry(4, 4))}\n}}')
    with pytest.raises(ValueError) as err:
        load_tool().main(
            ['--ann', hcstvg_ann, '--pred', pred, '--protocol', 'dense', '--skip-invalid'])
    assert str(err.value).startswith(f"{pred}: duplicate key(s) in a JSON object: 'a.mp4' "
                                     '(lines 2, 4)')


def test_skip_invalid_scores_skipped_queries_like_test_py(tmp_path, capsys):
    """Same predictions, same numbers: eval_submission --skip-invalid and STVGMetric (what
    tools/test.py runs) on a split where the dataset skips one invalid query.

    GT: a.mp4 [2, 6), b.mkv [0, 3), bad.mp4 (empty caption: skipped). dense protocol:
    a.mp4 perfect -> tIoU = vIoU = 1; b.mkv predicted 1-based 2..3 = [1, 3) with exact boxes
    -> tIoU = vIoU = 2/3. Skipped queries are failures: means over 3 queries
    (1 + 2/3 + 0) / 3 = 5/9; vIoU@0.3 = vIoU@0.5 = 2/3 (two of three queries above).
    (Averaging over the remaining queries only, as before, gave 5/6.)
    """
    ann = str(tmp_path / 'test.json')
    mmengine.dump({**HCSTVG_ANN, 'bad.mp4': dict(HCSTVG_ANN['a.mp4'], caption=' ')}, ann)
    sub = {'a.mp4': _entry(3, 6), 'b.mkv': _entry(2, 3, [0, 0, 50, 50]), 'bad.mp4': _entry(3, 6)}
    pred = str(tmp_path / 'pred.json')
    mmengine.dump(sub, pred)
    expected = {
        'm_tIoU': 5 / 9,
        'm_vIoU': 5 / 9,
        'vIoU@0.3': 2 / 3,
        'vIoU@0.5': 2 / 3,
        'num_queries': 2,
        'num_skipped': 1
    }
    tool = load_tool()
    out = run_tool(tool, capsys,
                   ['--ann', ann, '--pred', pred, '--protocol', 'dense', '--skip-invalid'])
    assert out['m_vIoU'] == pytest.approx(5 / 9)
    assert out == pytest.approx(expected)

    # tools/test.py: the dataset's metainfo carries the skipped qids to STVGMetric
    dataset = build_annotation_dataset(ann, 'hcstvg', skip_invalid=True)
    tubes = submission_to_tubes(sub)
    samples = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        sample = STVGDataSample(
            metainfo=dict(
                qid=info['qid'], clip=info['clip'], fps=info['fps'],
                num_frames=info['num_frames']))
        sample.gt_tube = BaseDataElement(
            span=torch.tensor(info['gt_span']), bboxes=torch.as_tensor(info['gt_bboxes']))
        tube = tubes[info['qid']]
        sample.pred_tube = BaseDataElement(
            span=torch.tensor(tube['span']),
            frame_ids=torch.as_tensor(tube['frame_ids']),
            bboxes=torch.as_tensor(tube['bboxes']))
        samples.append(sample.to_dict())
    metric = STVGMetric(protocol='dense')
    metric.dataset_meta = dataset.metainfo
    metric.process({}, samples)
    assert metric.evaluate(len(samples)) == pytest.approx(expected)

    # without --skip-invalid the invalid GT query is an error naming the file and the qid
    with pytest.raises(ValueError, match=rf"{ann}.*bad\.mp4.*empty sentence"):
        tool.main(['--ann', ann, '--pred', pred, '--protocol', 'dense'])


def test_malformed_values_listed_by_qid_or_scored_as_failures(tmp_path, capsys):
    """NaN / inf boxes, st_frame > ed_frame, float frame ids: every entry reported.

    GT a.mp4, b.mkv, c.mp4. a.mp4 has a NaN box, b.mkv st 3 > ed 1, c.mp4 is perfect; the
    extra entries x/y (not in the GT) have an inf box and a float st_frame. (Before, all were
    scored without a word.) --skip-invalid: a and b score 0, c scores 1 -> every mean 1/3;
    4 malformed entries.
    """
    ann = str(tmp_path / 'test.json')
    mmengine.dump({**HCSTVG_ANN, 'c.mp4': C_REC}, ann)
    a = _entry(3, 6)
    a['bbox']['4'] = [float('nan'), 20.0, 40.0, 60.0]
    sub = {
        'a.mp4': a,
        'b.mkv': dict(_entry(1, 3), st_frame=3, ed_frame=1),
        'c.mp4': _entry(5, 6, [0, 0, 20, 20]),
        'x.mp4': dict(_entry(1, 1), bbox={'1': [0, 0, float('inf'), 5]}),
        'y.mp4': dict(_entry(1, 2), st_frame=1.5)
    }
    pred = str(tmp_path / 'pred.json')
    mmengine.dump(sub, pred)
    tool = load_tool()
    for protocol in ('dense', 'hcstvg_official'):
        with pytest.raises(InvalidSubmissionError) as err:
            tool.main(['--ann', ann, '--pred', pred, '--protocol', protocol])
        msg = str(err.value)
        assert msg.startswith(f'{pred}: 4 of 5 entries are malformed')
        assert "'a.mp4': non-finite (NaN/inf) box coordinates: bbox['4'] = [nan," in msg
        assert "'b.mkv': st_frame 3 > ed_frame 1" in msg
        assert "'x.mp4': non-finite" in msg and "'y.mp4': `st_frame` must be an integer" in msg
        assert "'c.mp4'" not in msg and '--skip-invalid' in msg
        assert set(err.value.errors) == {'a.mp4', 'b.mkv', 'x.mp4', 'y.mp4'}

        out = run_tool(tool, capsys,
                       ['--ann', ann, '--pred', pred, '--protocol', protocol, '--skip-invalid'])
        assert out == pytest.approx({
            'm_tIoU': 1 / 3,
            'm_vIoU': 1 / 3,
            'vIoU@0.3': 1 / 3,
            'vIoU@0.5': 1 / 3,
            'num_invalid_predictions': 4
        })


def test_skip_invalid_prints_the_counts(tmp_path, capsys):
    ann = str(tmp_path / 'test.json')
    mmengine.dump({**HCSTVG_ANN, 'bad.mp4': dict(HCSTVG_ANN['a.mp4'], caption=' ')}, ann)
    pred = str(tmp_path / 'pred.json')
    mmengine.dump({'a.mp4': dict(_entry(3, 6), ed_frame=2), 'b.mkv': _entry(1, 3)}, pred)
    load_tool().main(
        ['--ann', ann, '--pred', pred, '--protocol', 'hcstvg_official', '--skip-invalid'])
    out = capsys.readouterr().out
    assert '2 queries scored (num_queries), 1 skipped as invalid' in out
    assert "{'empty_sentence': ['bad.mp4']}" in out
    assert "WARNING: " + pred + ": 1 of 2 entries are malformed" in out
    assert "'a.mp4': st_frame 3 > ed_frame 2" in out
    assert '2 predictions, 1 malformed (1 of them for scored queries' in out


# (case, submission or None for "the annotation file", qid, words of the message)
MALFORMED_ENTRIES = [
    ('non_numeric_frame_key', {
        'a.mp4': dict(_entry(3, 3), bbox={'x3': BOX_A})
    }, 'a.mp4', ['`bbox` keys must be 1-based frame numbers written as integers', "'x3'"]),
    ('float_frame_key', {
        'a.mp4': dict(_entry(3, 3), bbox={'3.0': BOX_A})
    }, 'a.mp4', ['`bbox` keys must be 1-based frame numbers written as integers', "'3.0'"]),
    ('missing_ed_frame', {
        'a.mp4': {
            'st_frame': 3,
            'bbox': {
                '3': BOX_A
            }
        }
    }, 'a.mp4', ['missing `ed_frame`']),
    ('three_number_box', {
        'b.mkv': dict(_entry(1, 1), bbox={'1': [0, 0, 50]})
    }, 'b.mkv', ['must be [x1, y1, x2, y2] (4 numbers)', "bbox['1'] = [0, 0, 50]"]),
    ('bbox_as_list', {
        'a.mp4': dict(_entry(3, 4), bbox=[BOX_A, BOX_A])
    }, 'a.mp4', ['`bbox` must be a dict {"<frame>": [x1, y1, x2, y2]}, got list']),
    ('entry_not_a_dict', {
        'a.mp4': [3, 6, BOX_A]
    }, 'a.mp4', ['the entry must be a dict, got list']),
    # a.mp4 has 100 frames, b.mkv 80 (1-based 1..100, 1..80)
    ('ed_frame_beyond_the_video', {
        'a.mp4': _entry(99, 101)
    }, 'a.mp4', ['ed_frame is beyond the last frame of the video: ed_frame 101 > 100']),
    ('span_after_the_video', {
        'a.mp4': _entry(101, 102)
    }, 'a.mp4', ['st_frame and ed_frame are beyond the last frame of the video']),
    ('box_beyond_the_video', {
        'b.mkv': dict(_entry(79, 80), bbox={
            '80': BOX_A,
            '81': BOX_A
        })
    }, 'b.mkv', ["`bbox` has boxes beyond the last frame (80) of the video: bbox['81']"]),
]


@pytest.mark.parametrize(
    'case,sub,qid,words', MALFORMED_ENTRIES, ids=[c[0] for c in MALFORMED_ENTRIES])
def test_malformed_entry_error_names_file_and_qid(hcstvg_ann, tmp_path, case, sub, qid, words):
    pred = str(tmp_path / 'pred.json')
    mmengine.dump(sub, pred)
    with pytest.raises(InvalidSubmissionError) as err:
        load_tool().main(['--ann', hcstvg_ann, '--pred', pred, '--protocol', 'dense'])
    msg = str(err.value)
    assert msg.startswith(f'{pred}: 1 of 1 entries are malformed; each entry must be '
                          '{"st_frame": int >= 1, "ed_frame": int >= st_frame, "bbox": ')
    assert f'\n  {qid!r}: ' in msg
    for word in words:
        assert word in msg
    assert list(err.value.errors) == [qid]


def test_annotation_file_passed_as_pred(hcstvg_ann, vidstg_files):
    with pytest.raises(InvalidSubmissionError) as err:
        load_tool().main(['--ann', hcstvg_ann, '--pred', hcstvg_ann, '--protocol', 'dense'])
    assert str(err.value).startswith(f'{hcstvg_ann} is an annotation file')
    assert 'pass the annotations as --ann and the predictions as --pred' in str(err.value)
    vidstg_ann, _ = vidstg_files
    with pytest.raises(InvalidSubmissionError, match='VidSTG annotation file'):
        load_tool().main(['--ann', hcstvg_ann, '--pred', vidstg_ann, '--protocol', 'dense'])


@pytest.mark.parametrize('which', ['pred', 'ann'])
def test_truncated_json_names_the_file(hcstvg_ann, tmp_path, which):
    pred = str(tmp_path / 'pred.json')
    mmengine.dump({'a.mp4': _entry(3, 6)}, pred, indent=2)
    target = pred if which == 'pred' else hcstvg_ann
    text = open(target).read()
    _write_text(target, text[:len(text) // 2])
    with pytest.raises(ValueError) as err:
        load_tool().main(['--ann', hcstvg_ann, '--pred', pred, '--protocol', 'dense'])
    # a truncated annotation file is reported by the dataset that parses it
    # ('HCSTVGAnnotation: <file>: invalid JSON ...'), a truncated submission by the tool
    assert f'{target}: invalid JSON at line ' in str(err.value)
    assert 'column' in str(err.value) and 'truncated' in str(err.value)


def test_empty_annotation_file(tmp_path):
    ann = str(tmp_path / 'test.json')
    mmengine.dump({}, ann)
    pred = str(tmp_path / 'pred.json')
    mmengine.dump({}, pred)
    for extra in ([], ['--skip-invalid']):
        with pytest.raises(EmptyDatasetError, match=f'no valid query left in {ann}'):
            load_tool().main(['--ann', ann, '--pred', pred, '--protocol', 'dense', *extra])


def test_every_query_skipped(tmp_path):
    ann = str(tmp_path / 'test.json')
    mmengine.dump({'a.mp4': dict(HCSTVG_ANN['a.mp4'], caption='')}, ann)
    pred = str(tmp_path / 'pred.json')
    mmengine.dump({'a.mp4': _entry(3, 6)}, pred)
    with pytest.raises(
            EmptyDatasetError, match=rf'no valid query left in {ann}: all 1 queries were skipped'):
        load_tool().main(['--ann', ann, '--pred', pred, '--protocol', 'dense', '--skip-invalid'])


def test_scoring_imports_neither_torch_nor_mmaction_models(hcstvg_ann, tmp_path):
    """Issue 28: the annotation parsing, the submission and the metric are torch-free, so the
    tool starts fast (``--help`` and a whole evaluation, in a fresh interpreter)."""
    import subprocess
    import sys
    pred = str(tmp_path / 'pred.json')
    mmengine.dump({'a.mp4': _entry(3, 6), 'b.mkv': _entry(1, 3)}, pred)
    tool = osp.join(ROOT, 'tools', 'analysis_tools', 'eval_submission.py')
    code = ('import sys, runpy; sys.argv = sys.argv[1:]\n'
            'try:\n    runpy.run_path(sys.argv[0], run_name="__main__")\n'
            'except SystemExit:\n    pass\n'
            'assert "torch" not in sys.modules and "mmaction.models" not in sys.modules\n'
            'print("TORCH-FREE")')
    for argv in (['--help'], ['--ann', hcstvg_ann, '--pred', pred, '--protocol', 'dense']):
        out = subprocess.run(
            [sys.executable, '-c', code, tool] + argv,
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT).stdout
        assert out.rstrip().endswith('TORCH-FREE')
