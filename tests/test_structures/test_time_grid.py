import numpy as np
import pytest

from mmstvg.structures import (frames_to_seconds, nearest_sampled_frames, seconds_to_frames,
                               seconds_to_span, span_to_seconds)

INDS = np.array([42, 46, 50, 54])


def test_constant_rate_is_frame_over_fps():
    times = (INDS - 40) / 8.0
    frames = np.arange(30, 70)
    np.testing.assert_allclose(frames_to_seconds(frames, INDS, times, 8.0), (frames - 40) / 8.0)
    np.testing.assert_allclose(seconds_to_frames((frames - 40) / 8.0, INDS, times, 8.0), frames)


def test_variable_rate_is_exact_at_sampled_frames_and_inverts():
    times = np.array([0.2, 0.3, 0.9, 1.0])  # a slow stretch between frames 46 and 50
    np.testing.assert_allclose(frames_to_seconds(INDS, INDS, times, 8.0), times)
    assert frames_to_seconds(48, INDS, times, 8.0) == pytest.approx(0.6)
    frames = np.arange(35, 60)
    back = seconds_to_frames(frames_to_seconds(frames, INDS, times, 8.0), INDS, times, 8.0)
    np.testing.assert_allclose(back, frames)


def test_span_round_trip_and_clip():
    times = (INDS - 40) / 8.0
    for span in [(40, 48), (43, 57), (41, 42)]:
        a, b = span_to_seconds(span, INDS, times, 8.0)
        # two decimals (an answer's precision) still give the frames back
        assert seconds_to_span(round(a, 2), round(b, 2), INDS, times, 8.0) == span
    assert seconds_to_span(-5.0, 100.0, INDS, times, 8.0, clip=(40, 60)) == (40, 60)
    assert seconds_to_span(50.0, 60.0, INDS, times, 8.0, clip=(40, 60)) == (60, 60)  # empty


def test_nearest_sampled_frame():
    times = (INDS - 40) / 8.0
    assert nearest_sampled_frames([0.0, 0.74, 1.8], INDS, times).tolist() == [42, 46, 54]
