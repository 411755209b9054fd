"""SampleMLLMFrames and ResizeForMLLM: the time grid, presentation times, the pixel budget."""
import numpy as np
import pytest

from mmstvg.datasets.transforms import ResizeForMLLM, SampleMLLMFrames
from mmstvg.testing import VFR_TIMESTAMPS, write_vfr_video


def _results(**kw):
    return dict(dict(qid='q', num_frames=80, fps=8.0, clip=(0, 80)), **kw)


def test_constant_rate_grid():
    out = SampleMLLMFrames(fps=2).transform(_results())
    # 10 s at 2 fps: 20 frames, one per 0.5 s segment, the frame shown at its centre
    assert out['frame_inds'].tolist() == list(range(2, 80, 4))
    np.testing.assert_allclose(out['frame_times'], np.arange(2, 80, 4) / 8.0)
    assert out['sample_rate'] == 2.0 and out['time_origin'] == 0.0
    assert out['clip_len'] == 20 and out['num_passes'] == 1


def test_clip_origin_cap_and_frame_factor():
    out = SampleMLLMFrames(fps=2, max_frames=7).transform(_results(clip=(40, 80)))
    # 5 s -> 10 frames, capped at 7, rounded down to a multiple of the temporal patch (2):
    # 6 segments of 40 / 6 frames, the frame shown at each centre (40 + (k + 0.5) * 40 / 6)
    assert out['frame_inds'].tolist() == [43, 50, 56, 63, 70, 76]
    np.testing.assert_allclose(out['frame_times'], (out['frame_inds'] - 40) / 8.0)
    assert out['time_origin'] == 5.0 and out['sample_rate'] == pytest.approx(6 / 5)
    video = SampleMLLMFrames(
        fps=2, max_frames=7, time_origin='video').transform(_results(clip=(40, 80)))
    np.testing.assert_allclose(video['frame_times'], video['frame_inds'] / 8.0)
    # a clip shorter than a group keeps its single frame
    assert SampleMLLMFrames(fps=2).transform(_results(clip=(3, 4)))['frame_inds'].tolist() == [3]


def test_variable_frame_rate_times(tmp_path):
    stamps = np.asarray(VFR_TIMESTAMPS)
    given = SampleMLLMFrames(fps=4).transform(
        dict(qid='q', num_frames=12, fps=16.0, clip=(0, 12), frame_timestamps=stamps))
    # the real presentation times, not frame / fps
    np.testing.assert_allclose(given['frame_times'], stamps[given['frame_inds']])
    assert not np.allclose(given['frame_times'], given['frame_inds'] / 16.0)
    path = write_vfr_video(str(tmp_path / 'vfr.mp4'))
    probed = SampleMLLMFrames(
        fps=4, probe_timestamps=True).transform(
            dict(qid='q', num_frames=12, fps=16.0, clip=(0, 12), filename=path))
    # read from the file's packets: the same real times
    np.testing.assert_allclose(probed['frame_times'], stamps[probed['frame_inds']], atol=1e-3)


def test_resize_for_mllm_budget_and_boxes():
    imgs = [np.zeros((64, 96, 3), np.uint8)] * 4
    res = dict(imgs=list(imgs), img_shape=(64, 96), gt_bboxes=np.array([[0, 0, 48, 32.]] * 4))
    out = ResizeForMLLM(factor=28, min_pixels=28 * 28, max_pixels=4 * 28 * 28).transform(res)
    assert out['img_shape'] == (28, 56) and out['imgs'][0].shape == (28, 56, 3)
    np.testing.assert_allclose(out['scale_factor'], [56 / 96, 28 / 64])
    np.testing.assert_allclose(out['gt_bboxes'][0], [0, 0, 28, 14])
    # a whole-clip budget lowers the per-frame cap (qwen-vl-utils' rule)
    t = ResizeForMLLM(
        factor=28, min_pixels=28 * 28, max_pixels=100 * 28 * 28, total_pixels=8 * 28 * 28)
    assert t.frame_budget(4) == 4 * 28 * 28 and t.target_shape(64, 96, 4) == (28, 56)
    same = ResizeForMLLM(
        factor=28, min_pixels=28 * 28, max_pixels=28 * 28 * 100).transform(
            dict(imgs=[np.zeros((56, 84, 3), np.uint8)], img_shape=(56, 84)))
    assert same['img_shape'] == (56, 84) and 'scale_factor' not in same
