"""tools/analysis_tools/visualize_tube.py: a submission entry drawn on its video."""
import numpy as np
import pytest

from mmstvg.testing import dump_json, hcstvg_v1_record, import_script, write_test_video
from mmstvg.utils.video_io import read_video

T, H, W = 10, 64, 96


def _load_tool():
    return import_script('tools/analysis_tools/visualize_tube.py')


def _write_video(path):
    return write_test_video(path, T, (H, W), 8, frames=np.full((T, H, W, 3), 128, np.uint8))


def test_submission_and_gt(tmp_path):
    tool = _load_tool()
    video = _write_video(str(tmp_path / 'v1.mp4'))
    # 1-based inclusive: frames 3..6 -> 0-based span [2, 6), keys at 0-based 2 and 5
    pred = dump_json(
        tmp_path / 'pred.json', {
            'v1.mp4': dict(
                st_frame=3, ed_frame=6, bbox={
                    '3': [5, 5, 30, 30],
                    '6': [20, 5, 45, 30]
                }),
            'other.mp4': dict(st_frame=1, ed_frame=2, bbox={'1': [0, 0, 5, 5]})
        })
    # GT as a HC-STVG v1 annotation (xywh boxes, 1-based st_frame)
    ann = dump_json(
        tmp_path / 'test.json', {
            'v1.mp4':
            hcstvg_v1_record(
                bbox=[[40, 20, 20, 20]] * 3,
                st_frame=2,
                st_time=0.1,
                ed_time=0.4,
                img_num=T,
                caption='The woman walks.',
                width=W,
                height=H)
        })
    out = str(tmp_path / 'out.mp4')
    tool.main([
        '--video', video, '--pred', pred, '--gt-ann', ann, '--out', out, '--fps', '8',
        '--min-size', '0'
    ])  # qid from the video file name
    assert len(read_video(out)) == T
    sample = tool.build_data_sample(
        tool.parse_args(['--video', video, '--pred', pred, '--gt-ann', ann, '--out', out]))
    assert sample.qid == 'v1.mp4' and sample.sentence == 'The woman walks.'
    assert sample.pred_tube.span.tolist() == [2, 6]
    assert sample.pred_tube.frame_ids.tolist() == [2, 5]
    assert sample.gt_tube.span.tolist() == [1, 4]
    np.testing.assert_allclose(sample.gt_tube.bboxes[0].numpy(), [40, 20, 60, 40])

    # a single entry, GT in the submission format, GIF output, sentence given
    entry = dump_json(tmp_path / 'entry.json',
                      dict(st_frame=1, ed_frame=10, bbox={'1': [1, 1, 9, 9]}))
    gif = str(tmp_path / 'out.gif')
    tool.main([
        '--video', video, '--pred', entry, '--gt-ann', pred, '--qid', 'v1.mp4', '--sentence',
        'a thing', '--out', gif
    ])
    assert len(read_video(gif)) == T


def test_errors(tmp_path):
    tool = _load_tool()
    video = _write_video(str(tmp_path / 'x.mp4'))
    pred = dump_json(
        tmp_path / 'pred.json', {
            'a': dict(st_frame=1, ed_frame=2, bbox={'1': [0, 0, 5, 5]}),
            'b': dict(st_frame=1, ed_frame=2, bbox={'1': [0, 0, 5, 5]})
        })
    with pytest.raises(ValueError, match='--qid'):
        tool.main(['--video', video, '--pred', pred, '--out', str(tmp_path / 'o.mp4')])
    with pytest.raises(KeyError):
        tool.main(
            ['--video', video, '--pred', pred, '--qid', 'c', '--out',
             str(tmp_path / 'o.mp4')])
    with pytest.raises(ValueError, match='nothing to draw'):
        tool.main(['--video', video, '--out', str(tmp_path / 'o.mp4')])
