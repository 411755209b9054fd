"""SampleSTCATFrames: the STCAT family's frame sampling (datasets/data_utils.py of
jy0205/STCAT), compared with the released rules written out here."""
import numpy as np
import pytest

from mmstvg.datasets.transforms import SampleSTCATFrames


def _released_hcstvg(frame_count, input_fps):
    """make_hcstvg_input_clip without crop: frame ids range(0, frame_count - 1)."""
    video_frames = list(range(0, frame_count - 1))
    rate = input_fps / (frame_count / 20)
    keep = [0]
    for idx in range(len(video_frames)):
        if int(video_frames[keep[-1]] * rate) < int(video_frames[idx] * rate):
            keep.append(idx)
    if keep[-1] != len(video_frames) - 1:
        keep.append(len(video_frames) - 1)
    return [video_frames[i] for i in keep]


def _released_vidstg(begin, end_fid, num):
    frames = list(range(begin, end_fid + 1))
    if len(frames) > num:
        idx = [int(i) for i in np.linspace(0, len(frames) - 1, num=num)]
        frames = [frames[i] for i in idx]
    return frames


@pytest.mark.parametrize('frame_count', [500, 600, 751])
def test_hcstvg_rule(frame_count):
    for fps, passes in ((3.2, 1), (6.4, 2)):
        t = SampleSTCATFrames(fps=fps, num_passes=passes, test_mode=True)
        out = t(dict(clip=(0, frame_count)))
        ref = _released_hcstvg(frame_count, fps)
        inds = out['frame_inds'].tolist()
        assert inds[:len(ref)] == ref
        # an odd count repeats the last frame so that both passes have the same length, and
        # records the copy (the grounders run it as padding: the released shorter pass)
        assert len(inds) == len(ref) + (len(ref) % passes)
        assert out['pass_pad_frames'] == len(ref) % passes
        assert inds[len(ref):] == ref[-1:] * (len(ref) % passes)
        assert out['num_passes'] == passes and out['clip_len'] == len(inds)


def test_vidstg_rule_and_crop():
    t = SampleSTCATFrames(num_frames=128, num_passes=2, test_mode=True, end_offset=1)
    out = t(dict(clip=(30, 530)))
    assert out['frame_inds'].tolist() == _released_vidstg(30, 530, 128)
    np.random.seed(0)
    train = SampleSTCATFrames(num_frames=64, crop_prob=1.0, end_offset=1)
    for _ in range(5):
        inds = train(dict(clip=(0, 400), gt_span=(150, 200)))['frame_inds']
        assert len(inds) <= 64 and inds[0] < 150 and inds[-1] >= 199
    hc = SampleSTCATFrames(fps=3.2, crop_prob=1.0)
    for _ in range(5):
        inds = hc(dict(clip=(0, 500), gt_span=(200, 300)))['frame_inds']
        assert inds[0] < 200 and inds[-1] >= 299


def test_arguments_are_checked():
    with pytest.raises(ValueError, match='exactly one'):
        SampleSTCATFrames()
    with pytest.raises(ValueError, match='exactly one'):
        SampleSTCATFrames(fps=1.0, num_frames=3)
    with pytest.raises(ValueError, match='num_passes'):
        SampleSTCATFrames(fps=1.0, num_passes=0)
