"""Non-ASCII sentences in the caption: drawn with a TrueType font that covers them (not as
'?' or without accents), or, when no font covers a character, '?' with one clear warning."""
import warnings

import numpy as np
import pytest

from mmstvg.structures import STVGDataSample
from mmstvg.visualization import STVGVisualizer, text_font
from mmstvg.visualization.draw_tube import render_caption

H, W, T = 48, 160, 2
CJK = '红色的车'


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch):
    monkeypatch.setattr(text_font, '_WARNED', set())


def _caption(sentence, **vis_args):
    """The caption band the visualizer draws above the frame."""
    vis = STVGVisualizer(
        name=f'text_font_{abs(hash(sentence))}', min_size=None, draw_timeline=False, **vis_args)
    sample = STVGDataSample(metainfo=dict(sentence=sentence, num_frames=T, fps=8.))
    frames = np.zeros((T, H, W, 3), np.uint8)
    canvas = dict(vis.draw_frames(frames, sample))[0]
    return canvas[:canvas.shape[0] - H]


def _differ(a, b):
    return a.shape != b.shape or bool((a != b).any())


def test_accents_are_drawn():
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # DejaVu Sans covers Latin: no warning
        accented = _caption('café über naïve')
    plain = _caption('cafe uber naive')
    assert accented.any() and _differ(accented, plain)
    # the ASCII caption keeps cv2's rendering
    np.testing.assert_array_equal(plain, _caption('cafe uber naive'))
    # an accent changes the pixels above its letter: 'é' is not drawn as 'e'
    assert _differ(_caption('é'), _caption('e'))


def test_uncovered_characters_warn_once_and_are_drawn_as_question_marks(monkeypatch):
    monkeypatch.setattr(text_font, 'system_fonts', lambda: ())  # DejaVu Sans only
    with pytest.warns(UserWarning, match=f"covers the characters .*{CJK[0]}.*fonts-noto-cjk"):
        band = _caption(f'the {CJK} é')
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # once per set of missing characters
        again = _caption(f'the {CJK} é')
    np.testing.assert_array_equal(band, again)
    np.testing.assert_array_equal(band, _caption('the ???? é'))


def test_cjk_with_the_fonts_of_this_system():
    """A system font covering CJK draws it; without one, the warning says so."""
    path, missing = text_font.find_font(CJK, text_font.candidate_fonts())
    if missing:
        with pytest.warns(UserWarning, match='drawn as "?"'):
            _caption(CJK)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter('error')
            band = _caption(CJK)
        assert _differ(band, _caption('????'))


def test_font_path_is_tried_first(tmp_path):
    bundled = text_font.bundled_font()
    assert bundled is not None
    font, text = text_font.caption_font('über', 0.5, font_path=bundled)
    assert font.path == bundled and text == 'über'
    assert text_font.caption_font('plain ascii', 0.5) == (None, 'plain ascii')
    band = render_caption('über alles', 200, 0.5, 1, font_path=bundled)
    assert band is not None and band.any()
    assert render_caption('   ', 200, 0.5, 1) is None
