"""STVGVisualizationHook with a mock runner: one file per test sample, val montages."""
import os
import os.path as osp
from unittest.mock import Mock

import mmcv
import torch
from mmengine.structures import BaseDataElement

from mmstvg.engine.hooks import STVGVisualizationHook
from mmstvg.engine.hooks.stvg_visualization_hook import sanitize_filename
from mmstvg.registry import HOOKS
from mmstvg.structures import STVGDataSample
from mmstvg.testing import ramp_frames, write_test_video
from mmstvg.utils.video_io import iter_frames, probe_video
from mmstvg.visualization import STVGVisualizer

T, H, W, FPS = 10, 48, 64, 5
TIMESTAMP = '20250101_000000'


def _write_video(path):
    return write_test_video(path, T, (H, W), FPS, frames=ramp_frames(T, (H, W), 100, 1))


def _count_frames(path):
    return probe_video(path, decode=True).num_frames


def _first_frame(path):
    return next(iter(iter_frames(path, [0])))[1]


def _sample(qid, filename, clip=(0, T), with_gt=True):
    sample = STVGDataSample(
        metainfo=dict(
            qid=qid,
            filename=filename,
            sentence='a man sits',
            fps=float(FPS),
            num_frames=T,
            clip=clip))
    sample.pred_tube = BaseDataElement(
        span=torch.tensor([1, 5]),
        frame_ids=torch.tensor([1, 4]),
        bboxes=torch.tensor([[5., 5., 20., 20.]] * 2))
    if with_gt:
        sample.gt_tube = BaseDataElement(
            span=torch.tensor([2, 6]), bboxes=torch.tensor([[8., 8., 30., 30.]] * 4))
    return sample


def _runner(work_dir):
    runner = Mock()
    runner.work_dir = str(work_dir)
    runner.timestamp = TIMESTAMP
    runner.iter = 0
    return runner


def _visualizer(name, **kwargs):
    # the hook takes the current instance, as runners build it before the hooks
    return STVGVisualizer.get_instance(name, min_size=None, **kwargs)


def test_sanitize_filename():
    assert sanitize_filename('a/b c.mp4') == 'a_b_c.mp4'
    assert sanitize_filename('../x') == '_x'
    assert sanitize_filename('...') == 'sample'
    assert len(sanitize_filename('x' * 500)) == 200


def test_test_iter_writes_one_video_and_montage_per_sample(tmp_path):
    video = _write_video(str(tmp_path / 'v.mp4'))
    _visualizer('test_hook_test_iter')
    hook = HOOKS.build(dict(type='STVGVisualizationHook', draw=True, test_out_dir='vis'))
    assert isinstance(hook, STVGVisualizationHook)
    runner = _runner(tmp_path / 'work')
    hook.before_test(runner)
    # HC-STVG style qid (the video file name), an unsafe qid, a clip, a sample without GT
    batch1 = [_sample('7_abc.mp4', video), _sample('vid/0_5_d0', video, clip=(2, 8))]
    batch2 = [_sample('q:2', video, with_gt=False)]
    hook.after_test_iter(runner, 0, {}, batch1)
    hook.after_test_iter(runner, 1, {}, batch2)
    out_dir = osp.join(tmp_path, 'work', TIMESTAMP, 'vis')
    assert sorted(os.listdir(out_dir)) == [
        '7_abc.mp4', '7_abc.png', 'q_2.mp4', 'q_2.png', 'vid_0_5_d0.mp4', 'vid_0_5_d0.png'
    ]
    # the montage: num_keyframes (4) drawn frames side by side, each as tall as a drawn frame
    montage = mmcv.imread(osp.join(out_dir, '7_abc.png'))
    frame = _first_frame(osp.join(out_dir, '7_abc.mp4'))
    # (video frames are padded to even sizes: one pixel more at most)
    assert abs(montage.shape[0] - frame.shape[0]) <= 1
    assert abs(montage.shape[1] - (4 * frame.shape[1] + 3 * 4)) <= 4
    assert _count_frames(osp.join(out_dir, '7_abc.mp4')) == T
    assert _count_frames(osp.join(out_dir, 'vid_0_5_d0.mp4')) == 6  # clip_only: [2, 8)
    assert _count_frames(osp.join(out_dir, 'q_2.mp4')) == T


def test_max_samples_suffix_and_name_clash(tmp_path):
    video = _write_video(str(tmp_path / 'v.mp4'))
    _visualizer('test_hook_max_samples')
    hook = STVGVisualizationHook(
        draw=True,
        test_out_dir=str(tmp_path / 'abs'),
        max_samples=3,
        out_suffix='gif',
        clip_only=False,
        max_frames=5)
    runner = _runner(tmp_path / 'work')
    hook.after_test_iter(runner, 0, {}, [_sample('a/b', video), _sample('a_b', video)])
    hook.after_test_iter(runner, 1, {}, [_sample('c', video), _sample('d', video)])
    files = sorted(os.listdir(tmp_path / 'abs'))  # an absolute test_out_dir is used as is
    assert files == ['a_b.gif', 'a_b.png', 'a_b_1.gif', 'a_b_1.png', 'c.gif', 'c.png']
    assert _count_frames(str(tmp_path / 'abs' / 'c.gif')) == 5


def test_draw_false_and_missing_video(tmp_path):
    video = _write_video(str(tmp_path / 'v.mp4'))
    _visualizer('test_hook_draw_false')
    runner = _runner(tmp_path / 'work')
    STVGVisualizationHook(
        draw=False, test_out_dir='vis').after_test_iter(runner, 0, {}, [_sample('a', video)])
    assert not osp.exists(osp.join(tmp_path, 'work', TIMESTAMP, 'vis'))
    hook = STVGVisualizationHook(draw=True, test_out_dir='vis')
    no_file = _sample('b', video)
    no_file.set_metainfo(dict(filename=''))
    corrupt = tmp_path / 'corrupt.mp4'
    corrupt.write_bytes(b'not a video' * 100)
    hook.after_test_iter(runner, 0, {}, [
        _sample('a', str(tmp_path / 'missing.mp4')), no_file,
        _sample('d', str(corrupt)),
        _sample('c', video)
    ])
    assert sorted(os.listdir(osp.join(tmp_path, 'work', TIMESTAMP, 'vis'))) == ['c.mp4', 'c.png']


def test_val_iter_sends_montage_and_frames_to_backends(tmp_path):
    video = _write_video(str(tmp_path / 'v.mp4'))
    _visualizer(
        'test_hook_val',
        vis_backends=[dict(type='LocalVisBackend')],
        save_dir=str(tmp_path / 'vis_root'))
    hook = STVGVisualizationHook(draw=True, interval=2)
    runner = _runner(tmp_path / 'work')
    for batch_idx in range(4):
        hook.after_val_iter(runner, batch_idx, {}, [_sample('a', video)])
    img_dir = osp.join(tmp_path, 'vis_root', 'vis_data', 'vis_image')
    # the montage and the drawn frames of the video (clip [0, T)) of iterations 0 and 2
    frames = [f'val_video_frame_{k}_{step}.png' for k in range(T) for step in (0, 2)]
    assert sorted(os.listdir(img_dir)) == sorted(['val_video_0.png', 'val_video_2.png'] + frames)
    # test without test_out_dir: the backends get one montage per sample
    hook.after_test_iter(runner, 0, {}, [_sample('a', video), _sample('b', video)])
    assert {'test_video_1.png', 'test_video_2.png'} <= set(os.listdir(img_dir))
