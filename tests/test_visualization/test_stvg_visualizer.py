"""STVGVisualizer: boxes on the right frames, interpolation, mp4 / GIF / PNG outputs."""
import os
import os.path as osp

import mmcv
import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement

from mmstvg.registry import VISUALIZERS
from mmstvg.structures import STVGDataSample
from mmstvg.testing import ramp_frames, write_test_video
from mmstvg.utils.video_io import probe_video, write_gif
from mmstvg.visualization import GT_COLOR, PRED_COLOR, STVGVisualizer

H, W, T, FPS = 96, 128, 12, 8
GRAY = 128


def _write_video(path, num_frames=T):
    """A gray H.264 test video (frame i has a faint brightness ramp, no box colours)."""
    return write_test_video(
        path, num_frames, (H, W), FPS, frames=ramp_frames(num_frames, (H, W), base=GRAY, step=1))


def _count_frames(path):
    return probe_video(path, decode=True).num_frames


def _sample(sentence='the man in red walks to the left', clip=(0, T)):
    sample = STVGDataSample(
        metainfo=dict(qid='q0', sentence=sentence, fps=float(FPS), num_frames=T, clip=clip))
    # GT [2, 6): fixed box on the left; prediction [4, 10): keys at 4 and 8 (interpolated)
    sample.gt_tube = BaseDataElement(
        span=torch.tensor([2, 6]), bboxes=torch.tensor([[10., 10., 40., 50.]] * 4))
    sample.pred_tube = BaseDataElement(
        span=torch.tensor([4, 10]),
        frame_ids=torch.tensor([4, 8]),
        bboxes=torch.tensor([[60., 20., 80., 60.], [80., 20., 100., 60.]]))
    return sample


def _frames():
    return np.full((T, H, W, 3), GRAY, np.uint8)


def _has(img, color):
    return bool((img == np.asarray(color, np.uint8)).all(-1).any())


def _is(img, y, x, color):
    return tuple(int(v) for v in img[y, x]) == tuple(color)


def _plain_vis(**kwargs):
    cfg = dict(draw_caption=False, draw_timeline=False, line_width=1, min_size=None)
    cfg.update(kwargs)
    return STVGVisualizer(**cfg)


def test_registered():
    vis = VISUALIZERS.build(dict(type='STVGVisualizer', name='test_registered_vis'))
    assert isinstance(vis, STVGVisualizer)


def test_boxes_on_the_right_frames_and_interpolation():
    vis = _plain_vis()
    drawn = dict(vis.draw_frames(_frames(), _sample()))
    assert sorted(drawn) == list(range(T))
    for idx, canvas in drawn.items():
        assert canvas.shape == (H, W, 3)  # no band: the canvas is the frame
        assert _has(canvas, GT_COLOR) == (2 <= idx < 6), idx
        assert _has(canvas, PRED_COLOR) == (4 <= idx < 10), idx
    # GT box edges
    assert _is(drawn[3], 10, 25, GT_COLOR) and _is(drawn[3], 30, 40, GT_COLOR)
    assert _is(drawn[3], 30, 25, (GRAY, ) * 3)
    # prediction: key frames as given, frame 6 halfway (x1 = 70, x2 = 90), held after 8
    assert _is(drawn[4], 40, 60, PRED_COLOR) and _is(drawn[4], 40, 80, PRED_COLOR)
    assert _is(drawn[6], 40, 70, PRED_COLOR) and _is(drawn[6], 40, 90, PRED_COLOR)
    assert not _is(drawn[6], 40, 60, PRED_COLOR) and not _is(drawn[6], 40, 80, PRED_COLOR)
    assert _is(drawn[9], 40, 80, PRED_COLOR) and _is(drawn[9], 40, 100, PRED_COLOR)
    # draw_gt / draw_pred switches
    only_pred = dict(vis.draw_frames(_frames(), _sample(), draw_gt=False))
    assert not any(_has(c, GT_COLOR) for c in only_pred.values())
    only_gt = dict(vis.draw_frames(_frames(), _sample(), draw_pred=False))
    assert not any(_has(c, PRED_COLOR) for c in only_gt.values())


def test_bands_caption_and_timeline():
    vis = STVGVisualizer(line_width=1, min_size=None)
    drawn = dict(vis.draw_frames(_frames(), _sample()))
    shapes = {c.shape for c in drawn.values()}
    assert len(shapes) == 1  # constant canvas size over the video
    canvas = drawn[3]
    assert canvas.shape[0] > H and canvas.shape[1] == W
    no_caption = dict(
        STVGVisualizer(line_width=1, min_size=None,
                       draw_caption=False).draw_frames(_frames(), _sample()))[3]
    top = canvas.shape[0] - no_caption.shape[0]
    assert top > 0 and canvas[:top].any()  # caption band with text
    np.testing.assert_array_equal(canvas[top:], no_caption)
    # the frame sits between the bands: GT edge at frame pixel (10, 25)
    assert _is(canvas, top + 10, 25, GT_COLOR)
    # the timeline band (below the frame) shows both spans on every frame
    band = drawn[0][top + H:]
    assert _has(band, GT_COLOR) and _has(band, PRED_COLOR)
    # tiny frames are enlarged by an integer factor (boxes follow)
    big = dict(_plain_vis(min_size=200).draw_frames(_frames(), _sample()))[3]
    assert big.shape == (3 * H, 3 * W, 3) and _is(big, 30, 75, GT_COLOR)


def test_mp4_gif_png_outputs(tmp_path):
    video = _write_video(str(tmp_path / 'in.mp4'))
    vis = STVGVisualizer(name='test_outputs_vis', min_size=None)
    montage = vis.add_datasample('q0', video, _sample(), out_file=str(tmp_path / 'o' / 'q.mp4'))
    assert montage is not None and montage.dtype == np.uint8
    out = str(tmp_path / 'o' / 'q.mp4')
    info = probe_video(out, decode=True)
    assert info.num_frames == T and info.codec == 'h264'
    assert info.fps == pytest.approx(FPS)
    # a clip range and a frame cap (every 2nd frame, fps halved)
    vis.add_datasample(
        'q0',
        video,
        _sample(),
        out_file=str(tmp_path / 'r.mp4'),
        frame_range=(2, 10),
        max_frames=4)
    info = probe_video(str(tmp_path / 'r.mp4'), decode=True)
    assert info.num_frames == 4 and info.fps == pytest.approx(FPS / 2)
    # GIF (PIL, and PyAV's encoder)
    for backend in ('pil', 'pyav'):
        vis.gif_backend = backend
        gif = str(tmp_path / f'q_{backend}.gif')
        vis.add_datasample('q0', _frames(), _sample(), out_file=gif)
        assert _count_frames(gif) == T, backend
    # image suffix: the key-frame montage
    png = str(tmp_path / 'q.png')
    png_montage = vis.add_datasample('q0', _frames(), _sample(), out_file=png)
    np.testing.assert_array_equal(mmcv.imread(png, channel_order='rgb'), png_montage)


def test_vis_backend_receives_montage(tmp_path):
    vis = STVGVisualizer(
        name='test_backend_vis',
        vis_backends=[dict(type='LocalVisBackend')],
        save_dir=str(tmp_path),
        num_keyframes=3,
        montage_cols=3,
        min_size=None)
    montage = vis.add_datasample('val_video', _frames(), _sample(), step=7)
    assert osp.isfile(osp.join(tmp_path, 'vis_data', 'vis_image', 'val_video_7.png'))
    # 3 key frames spread over the hull [2, 10) of the spans, in one row
    assert montage.shape[1] == 3 * W + 2 * 4


def test_vis_backends_receive_the_drawn_video(tmp_path):
    """Without out_file the drawn frames go to the backends too: as a clip to a backend with
    ``add_video`` (mmaction2's), frame by frame to mmengine's (``add_image``)."""
    vis = STVGVisualizer(
        name='test_backend_video_vis',
        save_dir=str(tmp_path),
        vis_backends=[
            dict(type='LocalVisBackend'),
            dict(type='mmaction.LocalVisBackend', name='clips')
        ],
        min_size=None,
        backend_max_frames=4)
    montage = vis.add_datasample('clip', _frames(), _sample(), step=3)
    # mmengine's backend: the montage and T / 4 strided frames (0, 3, 6, 9) as images
    images = sorted(os.listdir(osp.join(tmp_path, 'vis_data', 'vis_image')))
    assert images == ['clip_3.png'] + [f'clip_frame_{k}_3.png' for k in range(4)]
    frame = mmcv.imread(
        osp.join(tmp_path, 'vis_data', 'vis_image', 'clip_frame_1_3.png'), channel_order='rgb')
    assert frame.shape[1] == W and frame.shape[0] > H  # the caption / timeline bands
    drawn = dict(vis.draw_frames(_frames(), _sample()))
    np.testing.assert_array_equal(frame, drawn[3])  # frame 3, drawn as draw_frames does
    assert montage.shape[0] == frame.shape[0]
    # mmaction2's backend: the clip through add_video (one PNG per frame by default)
    clip_dir = osp.join(tmp_path, 'vis_data', 'clip', 'frames_3')
    assert sorted(os.listdir(clip_dir)) == [f'{k}.png' for k in range(4)]
    # max_frames given by the call wins; backend_video=False: the montage only
    vis.add_datasample('all', _frames(), _sample(), step=0, max_frames=T)
    assert len(os.listdir(osp.join(tmp_path, 'vis_data', 'all', 'frames_0'))) == T
    vis.backend_video = False
    vis.add_datasample('montage_only', _frames(), _sample(), step=0)
    assert not any(
        f.startswith('montage_only_frame')
        for f in os.listdir(osp.join(tmp_path, 'vis_data', 'vis_image')))
    assert osp.isfile(osp.join(tmp_path, 'vis_data', 'vis_image', 'montage_only_0.png'))


def test_frame_range_without_num_frames_and_odd_sizes(tmp_path):
    sample = _sample()
    sample.set_metainfo(dict(num_frames=None))
    vis = _plain_vis()
    # no num_frames from a path-less source -> the video length; from metainfo spans -> hull
    assert vis.plan_frames(sample, None)[0] == (0, T)  # clip (0, T) in metainfo
    del sample.clip
    assert vis.plan_frames(sample, None)[0] == (2, 10)
    frame_range, inds = vis.plan_frames(None, 100, max_frames=30)
    assert frame_range == (0, 100) and inds.tolist() == list(range(0, 100, 4))
    with pytest.raises(ValueError):
        vis.plan_frames(None, None)
    # odd frame sizes are padded for yuv420p
    odd = np.full((5, 33, 45, 3), GRAY, np.uint8)
    vis.add_datasample('odd', odd, None, out_file=str(tmp_path / 'odd.mp4'))
    assert _count_frames(str(tmp_path / 'odd.mp4')) == 5


def test_write_gif_rejects_empty(tmp_path):
    with pytest.raises(ValueError):
        write_gif(str(tmp_path / 'x.gif'), [], 5)
