"""TrueType text for captions that cv2's Hershey fonts cannot draw (non-ASCII sentences).

cv2's built-in fonts cover printable ASCII only. A sentence with other characters ('café',
'über', '红色的车') is drawn with PIL's FreeType renderer and the first font that covers
every such character: the font given by the caller, then matplotlib's bundled DejaVu Sans
(Latin, Greek, Cyrillic ...; always installed with mmengine), then the fonts of the system
(``matplotlib.font_manager.findSystemFonts``; e.g. Noto Sans CJK for Chinese). Characters that
no font covers are drawn as '?' with ONE warning per set of missing characters naming them
and how to fix it (install a covering font, or pass its file as ``font_path``). ASCII text
keeps cv2's rendering.
"""
import os.path as osp
import warnings
from functools import lru_cache
from typing import FrozenSet, List, Optional, Sequence, Tuple

import numpy as np

#: PIL font size (pixels) per unit of cv2 font scale: same line height as
#: ``cv2.FONT_HERSHEY_SIMPLEX`` (27 + 7 rows at scale 1).
PIXELS_PER_FONT_SCALE = 28
_WARNED: set = set()


def needs_unicode_font(text: str) -> bool:
    """Whether ``text`` has characters outside printable ASCII (spaces aside)."""
    return any(not (32 <= ord(ch) < 127) and not ch.isspace() for ch in str(text))


def bundled_font() -> Optional[str]:
    """matplotlib's DejaVu Sans (None when matplotlib is missing)."""
    try:
        import matplotlib
    except ImportError:
        return None
    path = osp.join(matplotlib.get_data_path(), 'fonts', 'ttf', 'DejaVuSans.ttf')
    return path if osp.isfile(path) else None


@lru_cache(maxsize=1)
def system_fonts() -> Tuple[str, ...]:
    """TrueType / OpenType font files of the system (sorted; found once per process)."""
    try:
        from matplotlib import font_manager
        return tuple(sorted(font_manager.findSystemFonts(fontext='ttf')))
    except Exception:  # noqa: BLE001 (no matplotlib, unreadable font folders)
        return ()


@lru_cache(maxsize=None)
def font_codepoints(path: str) -> FrozenSet[int]:
    """Code points covered by the font file ``path`` (empty when it cannot be read)."""
    try:
        from fontTools.ttLib import TTFont
        font = TTFont(path, fontNumber=0, lazy=True)
        cmap = font.getBestCmap() or {}
        font.close()
        return frozenset(cmap)
    except Exception:  # noqa: BLE001 (broken / unsupported font files are skipped)
        return frozenset()


def candidate_fonts(font_path: Optional[str] = None) -> List[str]:
    """Font files tried in order: ``font_path``, DejaVu Sans, the system fonts."""
    paths = [font_path, bundled_font(), *system_fonts()]
    seen, out = set(), []
    for p in paths:
        if p and p not in seen and osp.isfile(p):
            seen.add(p)
            out.append(p)
    return out


def find_font(text: str, candidates: Sequence[str]) -> Tuple[Optional[str], str]:
    """The first of ``candidates`` that covers every non-ASCII character of ``text``.

    Returns:
        tuple: ``(font path or None, missing characters)``: when no font covers them all,
        the font covering the most of them and the characters it lacks.
    """
    wanted = {ch for ch in str(text) if not (32 <= ord(ch) < 127) and not ch.isspace()}
    best, best_missing = None, ''.join(sorted(wanted))
    for path in candidates:
        cover = font_codepoints(path)
        if not cover:
            continue
        missing = ''.join(sorted(ch for ch in wanted if ord(ch) not in cover))
        if not missing:
            return path, ''
        if best is None or len(missing) < len(best_missing):
            best, best_missing = path, missing
    return best, best_missing


class UnicodeFont:
    """A FreeType font sized like cv2's Hershey font at ``font_scale``.

    Args:
        path (str): TrueType / OpenType file.
        font_scale (float): the cv2 font scale it replaces.
    """

    def __init__(self, path: str, font_scale: float) -> None:
        from PIL import ImageFont
        self.path = path
        self.size = max(int(round(PIXELS_PER_FONT_SCALE * float(font_scale))), 6)
        self.font = ImageFont.truetype(path, self.size)
        ascent, descent = self.font.getmetrics()
        self.line_height = int(ascent + descent)

    def width(self, text: str) -> int:
        """Width of one line of ``text`` in pixels."""
        return int(np.ceil(self.font.getlength(text)))

    def draw(self, img: np.ndarray, text: str, origin: Tuple[int, int],
             color: Sequence[int]) -> np.ndarray:
        """Draw one line IN PLACE on (H, W, 3) uint8 ``img``, its top-left at ``origin``."""
        from PIL import Image, ImageDraw
        canvas = Image.fromarray(img)
        ImageDraw.Draw(canvas).text((int(origin[0]), int(origin[1])),
                                    text,
                                    font=self.font,
                                    fill=tuple(int(c) for c in color))
        img[...] = np.asarray(canvas)
        return img


def caption_font(text: str,
                 font_scale: float,
                 font_path: Optional[str] = None) -> Tuple[Optional[UnicodeFont], str]:
    """The font to draw ``text`` with, and the text to draw.

    Returns:
        tuple: ``(None, text)`` for ASCII text (cv2 draws it); ``(UnicodeFont, text)`` when a
        font covers it; with characters no font covers, those are replaced by '?' and a
        warning names them (once per set of characters); ``(None, text)`` when no font file
        can be used at all (cv2 then draws its ASCII transliteration, also with a warning).
    """
    if not needs_unicode_font(text):
        return None, text
    path, missing = find_font(text, candidate_fonts(font_path))
    if missing:
        key = (missing, path)
        if key not in _WARNED:
            _WARNED.add(key)
            where = f'the font {path}' if path else 'no usable font file'
            warnings.warn(
                f'STVGVisualizer: {where} covers the characters {missing!r} of the sentence '
                f'{text!r}; they are drawn as "?". Install a font that covers them (for '
                'Chinese / Japanese / Korean e.g. Noto Sans CJK: `apt install '
                'fonts-noto-cjk`) or pass its file as STVGVisualizer(font_path=...).',
                UserWarning,
                stacklevel=3)
        text = ''.join('?' if ch in missing else ch for ch in text)
    if path is None:
        return None, text
    try:
        return UnicodeFont(path, font_scale), text
    except Exception as e:  # noqa: BLE001 (PIL without FreeType, unreadable file)
        warnings.warn(
            f'STVGVisualizer: cannot load the font {path} ({e}); the sentence '
            f'{text!r} is drawn in ASCII',
            UserWarning,
            stacklevel=3)
        return None, text
