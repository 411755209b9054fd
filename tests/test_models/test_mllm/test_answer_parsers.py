"""Answer parsers: round trip parse(format(gt)) == gt, and golden malformed answers.

The sample: a 10 s clip of 100 frames at 10 fps, 180x120 original frames resized to 84x56
(the model's input), sampled at 2 fps (SampleMLLMFrames). The GT tube spans frames [20, 61).
"""
import numpy as np
import pytest

from mmstvg.datasets.transforms import SampleMLLMFrames
from mmstvg.models.mllm.parsers import (PARSE_FAILURES, PARSE_STATUSES, JSONTubeParser,
                                        LLaVASTParser, STVGR1Parser)
from mmstvg.registry import ANSWER_PARSERS

SCALE = np.array([84 / 180, 56 / 120, 84 / 180, 56 / 120])
GT_SPAN = (20, 61)


def _meta(**kw):
    s = SampleMLLMFrames(fps=2).transform(dict(num_frames=100, fps=10.0, clip=(0, 100)))
    meta = dict(
        qid='q',
        clip=(0, 100),
        fps=10.0,
        num_frames=100,
        frame_inds=s['frame_inds'],
        frame_times=s['frame_times'],
        img_shape=(56, 84),
        ori_shape=(120, 180),
        scale_factor=SCALE[:2])
    meta.update(kw)
    return meta


def _gt(meta):
    """Sampled frames inside the GT span, their boxes in input and original pixels."""
    inds = meta['frame_inds']
    frames = inds[(inds >= GT_SPAN[0]) & (inds < GT_SPAN[1])]
    orig = np.stack([[30 + f, 20 + f / 2, 90 + f, 80 + f / 2] for f in frames]).astype(float)
    return frames, orig * SCALE, orig


def test_registry():
    assert {'json_tube', 'stvg_r1', 'llava_st'} <= set(ANSWER_PARSERS.module_dict)
    assert ANSWER_PARSERS.build(dict(type='json_tube', coord_frame='permille')).coord_frame \
        == 'permille'


@pytest.mark.parametrize('coord_frame,decimals,atol', [('input_pixels', 6, 1e-4),
                                                       ('permille', 6, 1e-4), ('unit', 8, 1e-4),
                                                       ('input_pixels', 0, 0.5 / SCALE[0]),
                                                       ('permille', 0, 0.5e-3 * 180)])
def test_json_round_trip(coord_frame, decimals, atol):
    meta = _meta()
    parser = JSONTubeParser(coord_frame=coord_frame, coord_decimals=decimals)
    frames, inp, orig = _gt(meta)
    text = parser.format(GT_SPAN, frames, inp, meta)
    res = parser.parse(text, meta)
    assert res.status == 'ok', res.notes
    assert res.span == GT_SPAN
    assert res.tube.frame_ids.tolist() == frames.tolist()
    np.testing.assert_allclose(res.tube.bboxes, orig, atol=atol)


def test_json_answer_text():
    meta = _meta()
    frames, inp, _ = _gt(meta)
    text = JSONTubeParser().format(GT_SPAN, frames[:1], inp[:1], meta)
    # seconds are the presentation times from the clip's start; pixels of the 84x56 input
    assert text == '{"start": 2.0, "end": 6.1, "boxes": [{"time": 2.2, "bbox": [24, 14, 52, 42]}]}'


def test_stvg_r1_round_trip_through_tracks():
    meta = _meta()
    frames, inp, orig = _gt(meta)
    dense = np.arange(*GT_SPAN)
    track = dict(
        frame_ids=dense,
        bboxes=np.stack([[30 + f, 20 + f / 2, 90 + f, 80 + f / 2] for f in dense]).astype(float))
    other = dict(frame_ids=dense, bboxes=np.tile([[0, 0, 10, 10.]], (dense.size, 1)))
    meta['object_tracks'] = {1: other, 3: track}
    parser = STVGR1Parser()
    text = parser.format(GT_SPAN, frames, inp, meta)
    assert text == '<answer>Target ID: 3, Time range: 2.00 to 6.10</answer>'
    res = parser.parse('<think>the man on the left</think>' + text, meta)
    assert res.status == 'ok' and res.span == GT_SPAN
    np.testing.assert_allclose(res.tube.interpolate(frames), orig, atol=1e-6)


def test_llava_st_round_trip_on_the_bin_grid():
    meta = _meta()
    frames, _, _ = _gt(meta)
    bins = np.array([[10 + i, 20, 40 + i, 90] for i in range(len(frames))], dtype=float)
    inp = bins / 99 * np.array([84, 56, 84, 56])
    parser = LLaVASTParser()
    text = parser.format(GT_SPAN, frames, inp, meta)
    assert text.startswith('{<TEMP-020><TEMP-060>} <TEMP-022>:[<WIDTH-010><HEIGHT-020>')
    res = parser.parse(text, meta)
    assert res.status == 'ok' and res.span == GT_SPAN
    assert res.tube.frame_ids.tolist() == frames.tolist()  # 100 frames: bin k is frame k
    np.testing.assert_allclose(res.tube.bboxes, inp / SCALE, atol=1e-6)


JSON_GOLDEN = [
    ('', 'no_answer', None),
    ('I cannot find the person.', 'no_answer', None),
    ('{"start": 2.0}', 'bad_span', None),
    ('{"start": "soon", "end": 4.0, "boxes": []}', 'bad_span', None),
    ('{"start": NaN, "end": 4.0, "boxes": []}', 'bad_span', None),
    ('{"start": 3.0, "end": 3.0, "boxes": [{"time": 3.0, "bbox": [1, 2, 3, 4]}]}', 'bad_span',
     None),
    ('{"start": 40.0, "end": 50.0, "boxes": [{"time": 41.0, "bbox": [1, 2, 30, 40]}]}',
     'out_of_range', None),
    ('{"start": 2.0, "end": 4.0}', 'no_boxes', (20, 40)),
    ('{"start": 2.0, "end": 4.0, "boxes": [{"time": 2.25, "bbox": [500, 500, 600, 600]}]}',
     'out_of_range', (20, 40)),
    ('{"start": 4.0, "end": 2.0, "boxes": [{"time": 2.25, "bbox": [1, 2, 30, 40]}]}', 'repaired',
     (20, 40)),
    ('{"start": 2.0, "end": 40.0, "boxes": [{"time": 2.25, "bbox": [1, 2, 30, 40]}]}', 'repaired',
     (20, 100)),
    ('{"start": 2.0, "end": 4.0, "boxes": [{"time": 2.25, "bbox": [30, 40, 1, 2]}, "oops"]}',
     'repaired', (20, 40)),
    ('Sure! ```json\n{"start": 2.0, "end": 4.0, "boxes": [{"time": 2.25, "bbox": [1, 2, 30, '
     '40]}, {"time": 2.7', 'repaired', (20, 40)),
    ('{"start": 1.0, "end": 2.0} then {"start": 2.0, "end": 4.0, "boxes": [{"time": 2.25, '
     '"bbox": [1, 2, 30, 40]}]}', 'ok', (20, 40)),
]


@pytest.mark.parametrize('text,status,span', JSON_GOLDEN)
def test_json_golden_malformed(text, status, span):
    meta = _meta()
    res = JSONTubeParser().parse(text, meta)
    assert res.status == status, res.notes
    if status in ('no_answer', 'bad_span') or (status == 'out_of_range' and span is None):
        assert res.span == (0, 0) and res.frame_ids.size == 0  # empty: scores 0
    else:
        assert res.span == span
    if status in ('no_boxes', 'out_of_range'):
        assert res.frame_ids.size == 0
    assert res.notes or status == 'ok'


STVG_R1_GOLDEN = [
    ('Target ID: 3, Time range: 2.00 to 4.00', 'no_answer', (0, 0)),
    ('<answer>Target ID: 3</answer>', 'bad_span', (0, 0)),
    ('<answer>Time range: 2.00 to 4.00</answer>', 'no_boxes', (20, 40)),
    ('<answer>Target ID: 9, Time range: 2.00 to 4.00</answer>', 'no_boxes', (20, 40)),
    ('<answer>Target ID: 3, Time range: 4.00 and 2.00</answer>', 'repaired', (20, 40)),
    ('<answer>Target ID: 1, Time range: 1 to 2</answer> ... <answer>target id: 3, time '
     'range: 2.00 to 4.00</answer>', 'ok', (20, 40)),
]


@pytest.mark.parametrize('text,status,span', STVG_R1_GOLDEN)
def test_stvg_r1_golden_malformed(text, status, span):
    dense = np.arange(0, 100)
    meta = _meta(
        object_tracks={3: dict(frame_ids=dense, bboxes=np.tile([[10, 10, 50, 50.]], (100, 1)))})
    res = STVGR1Parser().parse(text, meta)
    assert (res.status, res.span) == (status, span), res.notes
    assert (res.frame_ids.size > 0) == (status in ('ok', 'repaired'))


def test_stvg_r1_without_tracks_keeps_the_span():
    res = STVGR1Parser().parse('<answer>Target ID: 3, Time range: 2.00 to 4.00</answer>', _meta())
    assert res.status == 'no_boxes' and res.span == (20, 40)
    assert 'object_tracks' in ' '.join(res.notes)


LLAVA_GOLDEN = [
    ('', 'no_answer', (0, 0)),
    ('the person walks away', 'no_answer', (0, 0)),
    ('<TEMP-030>:[<WIDTH-010><HEIGHT-010><WIDTH-050><HEIGHT-050>]', 'bad_span', (0, 0)),
    ('{<TEMP-020><TEMP-039>}', 'no_boxes', (20, 40)),
    ('{<TEMP-039><TEMP-020>} <TEMP-030>:[<WIDTH-010><HEIGHT-010><WIDTH-050><HEIGHT-050>]',
     'repaired', (20, 40)),
    ('{<TEMP-020><TEMP-039>} <TEMP-030>:[<WIDTH-010><HEIGHT-010><WIDTH-150><HEIGHT-050>]',
     'repaired', (20, 40)),
    ('{<TEMP-020><TEMP-039>} <TEMP-030>, : [<WIDTH-010>, <HEIGHT-010>, <WIDTH-050>, '
     '<HEIGHT-050>]', 'ok', (20, 40)),
]


@pytest.mark.parametrize('text,status,span', LLAVA_GOLDEN)
def test_llava_st_golden_malformed(text, status, span):
    res = LLaVASTParser().parse(text, _meta())
    assert (res.status, res.span) == (status, span), res.notes


@pytest.mark.parametrize('parser', [JSONTubeParser(), STVGR1Parser(), LLaVASTParser()])
def test_never_raises(parser):
    rng = np.random.RandomState(0)
    alphabet = list('{}[]":,.0123456789-eE <>/TEMPWIDTHanswer\n') + ['<TEMP-', '<answer>']
    texts = [
        None, 12, b'bytes', '{', '}{', '{"start": 1e999, "end": 2}',
        '{"start": 1, "end": 2, "boxes": [{"time": null, "bbox": [1, 2]}]}',
        '{"start": 1, "end": 2, "boxes": {"x": "y"}}', '<answer></answer>',
        '{<TEMP-999><TEMP-000>}'
    ]
    texts += [''.join(rng.choice(alphabet, rng.randint(1, 60))) for _ in range(200)]
    for text in texts:
        res = parser.parse(text, _meta())
        assert res.status in PARSE_STATUSES
        if res.status in PARSE_FAILURES:
            assert res.frame_ids.size == 0
        res.tube  # a valid tube
