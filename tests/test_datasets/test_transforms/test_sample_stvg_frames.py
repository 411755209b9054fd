import numpy as np
import pytest

from mmstvg.datasets.transforms import SampleSTVGFrames


def _info(clip=(10, 50), fps=25.0, num_frames=100):
    return dict(qid='q', clip=clip, fps=fps, num_frames=num_frames)


def test_uniform_test_mode_centres_inside_clip():
    out = SampleSTVGFrames(clip_len=8, test_mode=True)(_info(clip=(10, 50)))
    inds = out['frame_inds']
    assert inds.dtype == np.int64 and inds.shape == (8, )
    # 40 frames / 8 segments of 5: centres at 10 + 2.5 + 5k
    np.testing.assert_array_equal(inds, 10 + np.floor((np.arange(8) + 0.5) * 5))
    assert out['num_passes'] == 1 and out['clip_len'] == 8 and out['num_clips'] == 1
    assert 'frame_interval' in out


def test_uniform_train_jitter_seeded_and_within_segments():
    t = SampleSTVGFrames(clip_len=8)
    np.random.seed(0)
    a = t(_info())['frame_inds']
    np.random.seed(0)
    b = t(_info())['frame_inds']
    np.testing.assert_array_equal(a, b)
    seen = set()
    for _ in range(50):
        inds = t(_info())['frame_inds']
        assert np.all(np.diff(inds) >= 0)
        seg = (inds - 10) // 5  # segment k holds frames [10 + 5k, 15 + 5k)
        np.testing.assert_array_equal(seg, np.arange(8))
        seen.update(inds.tolist())
    assert len(seen) > 16  # the offsets really vary


def test_short_clip_repeats_frames_sorted():
    inds = SampleSTVGFrames(clip_len=8, test_mode=True)(_info(clip=(3, 6)))['frame_inds']
    assert inds.shape == (8, ) and set(inds.tolist()) == {3, 4, 5}
    assert np.all(np.diff(inds) >= 0)


def test_default_clip_is_whole_video():
    inds = SampleSTVGFrames(
        num_frames=4, test_mode=True)(dict(qid='q', num_frames=40))['frame_inds']
    np.testing.assert_array_equal(inds, [5, 15, 25, 35])


@pytest.mark.parametrize('clip,per_pass', [((0, 100), 32), ((7, 57), 8), ((0, 5), 8),
                                           ((3, 67), 16), ((0, 1), 4)])
def test_multi_pass_covers_every_frame(clip, per_pass):
    out = SampleSTVGFrames(clip_len=per_pass, test_mode=True, multi_pass=True)(_info(clip=clip))
    inds, p = out['frame_inds'], out['num_passes']
    clip_len = clip[1] - clip[0]
    assert p == -(-clip_len // per_pass)
    assert inds.shape == (p * per_pass, ) and inds.dtype == np.int64
    assert np.all(np.diff(inds) >= 0)
    assert set(inds.tolist()) == set(range(*clip))  # every frame, nothing outside
    for k in range(p):  # each pass: T frames spread over the whole clip
        pass_inds = inds[k::p]
        assert pass_inds.shape == (per_pass, )
        assert pass_inds[0] - clip[0] < max(1, clip_len / per_pass)
        assert clip[1] - 1 - pass_inds[-1] < max(1, clip_len / per_pass)


def test_fps_mode_and_cap():
    # 40 frames at 25 fps, sampled at 5 fps -> 8 frames, one per 5
    out = SampleSTVGFrames(fps=5, test_mode=True)(_info(clip=(10, 50), fps=25.0))
    np.testing.assert_array_equal(out['frame_inds'], 12 + 5 * np.arange(8))
    capped = SampleSTVGFrames(fps=5, max_frames=4, test_mode=True)(_info(fps=25.0))
    assert capped['frame_inds'].shape == (4, )
    # asking for more than the video's own rate never over-samples
    every = SampleSTVGFrames(fps=100, test_mode=True)(_info(clip=(0, 10), fps=25.0))
    np.testing.assert_array_equal(every['frame_inds'], np.arange(10))
    # fps + multi-pass: T frames per pass, all frames covered
    mp = SampleSTVGFrames(
        fps=5, max_frames=4, test_mode=True, multi_pass=True)(
            _info(clip=(0, 30), fps=25.0))
    assert set(mp['frame_inds'].tolist()) == set(range(30))


def test_errors_and_repr():
    with pytest.raises(ValueError):
        SampleSTVGFrames()
    with pytest.raises(ValueError):
        SampleSTVGFrames(clip_len=4, fps=5)
    with pytest.raises(ValueError, match='test_mode'):
        SampleSTVGFrames(clip_len=4, multi_pass=True)
    with pytest.raises(ValueError, match='empty clip'):
        SampleSTVGFrames(clip_len=4)(_info(clip=(5, 5)))
    with pytest.raises(KeyError, match='fps'):
        SampleSTVGFrames(fps=5)(dict(qid='q', clip=(0, 10)))
    assert 'clip_len=4' in repr(SampleSTVGFrames(clip_len=4))


def test_split_without_annotations_takes_clip_from_the_video_reader():
    """HC-STVG v2 test queries carry num_frames/fps/clip = None; *Init supplies them."""
    from mmstvg.datasets.transforms import SampleSTVGFrames
    results = dict(
        qid='v.mp4', clip=None, num_frames=None, fps=None, total_frames=40, avg_fps=25.0)
    out = SampleSTVGFrames(clip_len=8, test_mode=True)(results)
    assert out['clip'] == (0, 40)
    assert out['num_frames'] == 40 and out['fps'] == 25.0
    assert out['frame_inds'].min() >= 0 and out['frame_inds'].max() < 40


def test_num_frames_is_the_old_name_of_clip_len():
    """`clip_len` (mmaction2's name) is T; `num_frames=` still works, with a warning."""
    with pytest.warns(DeprecationWarning, match='clip_len'):
        old = SampleSTVGFrames(num_frames=8, test_mode=True)
    new = SampleSTVGFrames(clip_len=8, test_mode=True)
    assert old.clip_len == new.clip_len == 8
    np.testing.assert_array_equal(old(_info())['frame_inds'], new(_info())['frame_inds'])
    with pytest.raises(ValueError, match='old name'):
        SampleSTVGFrames(clip_len=8, num_frames=8)
