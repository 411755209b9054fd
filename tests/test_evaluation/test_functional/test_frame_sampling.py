import numpy as np
import pytest

from mmstvg.evaluation.functional import tubedetr_clip, tubedetr_sample_frames


def _reference_loop(clip, video_fps, eval_fps, video_max_len):
    """TubeDETR's rule literally as DATA_FORMATS.md states it (python loop)."""
    rate = eval_fps / video_fps
    frame_ids = [clip[0]]
    for f in range(clip[0], clip[1]):
        if int(frame_ids[-1] * rate) < int(f * rate):
            frame_ids.append(f)
    n = len(frame_ids)
    if n > video_max_len:
        frame_ids = [frame_ids[(j * n) // video_max_len] for j in range(video_max_len)]
    return frame_ids


def test_rate_one_half():
    # clip [0,10), 10 fps, eval 5 fps: rate 0.5, buckets int(f*0.5) = 0,0,1,1,2,2,3,3,4,4
    # -> first frame of each bucket: 0, 2, 4, 6, 8
    assert tubedetr_sample_frames((0, 10), 10, 5).tolist() == [0, 2, 4, 6, 8]


def test_rate_five_eighths_offset_clip():
    # clip [3,12), 8 fps, eval 5: rate 0.625; f*rate for f=3..11:
    # 1.875, 2.5, 3.125, 3.75, 4.375, 5.0, 5.625, 6.25, 6.875 -> int 1,2,3,3,4,5,5,6,6
    # start [3]; append 4 (2>1), 5 (3>2), 7 (4>3), 8 (5>4), 10 (6>5)
    assert tubedetr_sample_frames((3, 12), 8, 5).tolist() == [3, 4, 5, 7, 8, 10]


def test_video_max_len_cap():
    # clip [0,10) at rate 1 -> 10 frames; cap 4 keeps frame_ids[(j*10)//4] = idx 0,2,5,7
    assert tubedetr_sample_frames((0, 10), 5, 5, video_max_len=4).tolist() == [0, 2, 5, 7]
    # no cap when n <= video_max_len
    assert tubedetr_sample_frames((0, 10), 5, 5, video_max_len=10).tolist() == list(range(10))


def test_video_fps_below_eval_fps_keeps_every_frame():
    # 4 fps video, eval at 5 fps: rate capped at 1 -> every frame of [2,6)
    assert tubedetr_sample_frames((2, 6), 4, 5).tolist() == [2, 3, 4, 5]
    # then the cap still applies: 6 frames, cap 3 -> idx (j*6)//3 = 0,2,4 -> frames 2,4,6
    assert tubedetr_sample_frames((2, 8), 4, 5, video_max_len=3).tolist() == [2, 4, 6]


def test_empty_clip_keeps_the_start_frame():
    assert tubedetr_sample_frames((5, 5), 30, 5).tolist() == [5]


def test_tubedetr_clip_drops_the_last_frame():
    # HC-STVG: mmstvg clip [0, 401) -> TubeDETR's [0, 400); with 20 fps (rate 0.25) frame 400
    # (bucket 100) is only selected over the full clip.
    assert tubedetr_clip((0, 401)) == (0, 400)
    full = tubedetr_sample_frames((0, 401), 20, 5)
    tdetr = tubedetr_sample_frames(tubedetr_clip((0, 401)), 20, 5)
    assert tdetr.tolist() == list(range(0, 400, 4))  # 0, 4, ..., 396: 100 frames
    assert full.tolist() == list(range(0, 401, 4))  # ... and 400
    assert tubedetr_clip((3, 3)) == (3, 3)


@pytest.mark.parametrize('clip, fps, max_len', [((0, 599), 30.0, 200), ((0, 499), 500 / 20, 200),
                                                ((496, 595), 29.97, 200), ((0, 1805), 29.97, 200),
                                                ((17, 900), 23.976, 50), ((0, 37), 5.0, 200)])
def test_matches_the_literal_loop(clip, fps, max_len):
    expected = _reference_loop(clip, fps, 5, max_len)
    got = tubedetr_sample_frames(clip, fps, 5, max_len)
    assert got.dtype == np.int64
    assert got.tolist() == expected


def test_invalid_fps():
    with pytest.raises(ValueError):
        tubedetr_sample_frames((0, 10), 0, 5)
