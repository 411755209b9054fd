"""Pure drawing primitives of ``mmstvg.visualization.draw_tube``."""
import numpy as np
import pytest

from mmstvg.visualization.draw_tube import (GT_COLOR, PRED_COLOR, draw_box, draw_tube_frame,
                                            layout_segments, make_montage, render_caption_band,
                                            render_timeline_band, span_to_pixels, timeline_height,
                                            timeline_info_segments, to_ascii, tube_boxes_at_frames,
                                            wrap_text)


def _is(img, y, x, color):
    return tuple(int(v) for v in img[y, x]) == tuple(color)


def test_tube_boxes_at_frames_interpolates_inside_span_only():
    # keys at 2 and 6, span [1, 8): held before 2 / after 6, linear in between
    boxes, valid = tube_boxes_at_frames((1, 8), [6, 2], [[30, 10, 50, 30], [10, 10, 30, 30]],
                                        np.arange(0, 10))
    np.testing.assert_array_equal(valid, [False] + [True] * 7 + [False] * 2)
    np.testing.assert_allclose(boxes[1], [10, 10, 30, 30])  # held before the first key
    np.testing.assert_allclose(boxes[2], [10, 10, 30, 30])
    np.testing.assert_allclose(boxes[4], [20, 10, 40, 30])  # halfway
    np.testing.assert_allclose(boxes[5], [25, 10, 45, 30])
    np.testing.assert_allclose(boxes[7], [30, 10, 50, 30])  # held after the last key
    assert np.isnan(boxes[0]).all() and np.isnan(boxes[9]).all()
    # repeated frame ids are averaged; a tube without boxes is nowhere valid
    boxes, _ = tube_boxes_at_frames((0, 3), [1, 1], [[0, 0, 10, 10], [2, 2, 12, 12]], [1])
    np.testing.assert_allclose(boxes[0], [1, 1, 11, 11])
    _, valid = tube_boxes_at_frames((0, 3), np.zeros(0), np.zeros((0, 4)), [0, 1, 2])
    assert not valid.any()


def test_draw_box_edges_and_clipping():
    img = np.zeros((40, 50, 3), np.uint8)
    draw_box(img, [10.2, 5.6, 30.4, 20.0], GT_COLOR, thickness=1)
    for y, x in [(6, 15), (20, 15), (12, 10), (12, 30)]:  # rounded edges: y 6/20, x 10/30
        assert _is(img, y, x, GT_COLOR)
    assert _is(img, 12, 20, (0, 0, 0))  # inside untouched
    assert _is(img, 3, 15, (0, 0, 0))
    # partly outside: clipped to the border; fully outside / NaN: nothing drawn
    img2 = np.zeros((40, 50, 3), np.uint8)
    draw_box(img2, [-5, -5, 20, 20], PRED_COLOR, thickness=1)
    assert _is(img2, 0, 10, PRED_COLOR) and _is(img2, 10, 0, PRED_COLOR)
    img3 = np.zeros((40, 50, 3), np.uint8)
    draw_box(img3, [60, 60, 70, 70], PRED_COLOR)
    draw_box(img3, [np.nan, 0, 10, 10], PRED_COLOR)
    assert not img3.any()


def test_draw_tube_frame_is_pure_and_stacks_bands():
    frame = np.full((30, 40, 3), 100, np.uint8)
    top = np.zeros((7, 40, 3), np.uint8)
    bottom = np.zeros((5, 40, 3), np.uint8)
    out = draw_tube_frame(
        frame,
        0,
        gt_box=[2, 2, 20, 20],
        pred_box=[20, 5, 35, 25],
        caption_band=top,
        timeline_band=bottom,
        line_width=1)
    assert out.shape == (42, 40, 3)
    assert (frame == 100).all()  # input untouched
    assert _is(out, 7 + 2, 10, GT_COLOR)  # frame pixel (y, x) at (y + 7, x)
    assert _is(out, 7 + 5, 27, PRED_COLOR)
    assert _is(out, 7 + 20, 20, PRED_COLOR)  # the prediction is drawn over the GT
    odd = draw_tube_frame(np.zeros((31, 41, 3), np.uint8), 0, even=True)
    assert odd.shape == (32, 42, 3)


def test_timeline_band_marks_spans_and_cursor():
    h = timeline_height(0.4, 1, bar_height=4)
    band = render_timeline_band(
        108,
        h,
        frame_idx=50,
        frame_range=(0, 100),
        gt_span=(10, 30),
        pred_span=(60, 90),
        bar_height=4,
        margin=4)
    bar = band[h - 4 - 8:h - 4, 4:104]  # (8, 100): one column per frame
    assert _is(bar, 0, 20, GT_COLOR) and not _is(bar, 0, 40, GT_COLOR)
    assert _is(bar, 5, 70, PRED_COLOR) and not _is(bar, 5, 20, PRED_COLOR)
    assert _is(bar, 0, 50, (255, 255, 255))  # cursor
    assert span_to_pixels((10, 30), (0, 100), 100) == (10, 30)
    assert span_to_pixels((200, 300), (0, 100), 100) == (0, 0)
    assert span_to_pixels((5, 6), (0, 1000), 100) == (0, 1)  # at least one pixel


def test_text_helpers():
    assert to_ascii('café – ok') == 'cafe ? ok'
    lines = wrap_text('a b c d e f g h i j k l m n o p', 40, 0.5, 1)
    assert len(lines) > 1 and ' '.join(lines) == 'a b c d e f g h i j k l m n o p'
    short = wrap_text('word ' * 50, 60, 0.5, 1, max_lines=2)
    assert len(short) == 2 and short[-1].endswith('...')
    assert wrap_text('', 100, 0.5, 1) == []
    band = render_caption_band(['hello'], 80, 20, 0.5, 1)
    assert band.shape == (20, 80, 3) and band.any()
    segs = timeline_info_segments(12, (0, 10), (5, 20), fps=10.)
    assert [s[0] for s in segs] == ['frame 12 (1.20s)', 'GT [0, 10)', 'pred [5, 20)', 'tIoU 0.25']
    assert len(layout_segments(segs, 1000, 0.4, 1)) == 1
    assert len(layout_segments(segs, 80, 0.4, 1)) == 4


def test_make_montage():
    imgs = [np.full((10, 12, 3), i * 40, np.uint8) for i in range(3)]
    out = make_montage(imgs, ncols=2, gap=2)
    assert out.shape == (22, 26, 3)
    assert (out[:10, :12] == 0).all() and (out[:10, 14:] == 40).all()
    assert (out[12:, :12] == 80).all() and (out[12:, 14:] == 255).all()
    with pytest.raises(ValueError):
        make_montage([])
