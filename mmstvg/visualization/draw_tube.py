"""Drawing primitives of an STVG tube video (pure numpy + cv2, no state; non-ASCII captions
with a TrueType font through PIL, see :mod:`mmstvg.visualization.text_font`).

Conventions (``docs/data_flow.md``): frame indices are 0-based indices of the ORIGINAL video;
spans are half-open ``[start, end)``; boxes are absolute ``xyxy`` pixels of the original
frame. Images are RGB ``uint8`` arrays of shape ``(H, W, 3)``; colours are RGB tuples.

A drawn frame (a "canvas") is laid out top to bottom as::

    +---------------------------------------+
    | caption band: the sentence (wrapped)  |  caption_height(...) rows
    +---------------------------------------+
    | the original frame, with the GT box   |  H rows (pixel coordinates unchanged,
    | (green) and the predicted box (red)   |  shifted down by the caption band)
    +---------------------------------------+
    | info line: frame index, spans, tIoU   |  timeline band
    | timeline: GT span / predicted span    |
    +---------------------------------------+

The bands are added around the frame, not painted over it, so no box is hidden. The
``draw_*`` primitives paint IN PLACE on the array they are given (cv2 semantics) and return
it; :func:`draw_tube_frame` copies the input frame once and never modifies its arguments.

The tubes drawn are :class:`mmstvg.structures.Tube` (``Tube.from_element`` of the data
sample's ``gt_tube`` / ``pred_tube``). The box of a tube at a frame is
:func:`tube_boxes_at_frames`: the boxes of the frames of its span, linearly interpolated
between the frames that carry a box and held before the first / after the last one
(:meth:`~mmstvg.structures.Tube.interpolate`), i.e. the boxes the ``dense`` protocol scores.
"""
import unicodedata
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

from mmstvg.structures import Tube, temporal_iou
from .text_font import UnicodeFont, caption_font

Color = Tuple[int, int, int]

GT_COLOR: Color = (0, 255, 0)  # RGB green
PRED_COLOR: Color = (255, 0, 0)  # RGB red
TEXT_COLOR: Color = (255, 255, 255)
BAND_COLOR: Color = (0, 0, 0)
TIMELINE_BG_COLOR: Color = (48, 48, 48)
TIMELINE_CLIP_COLOR: Color = (96, 96, 96)
CURSOR_COLOR: Color = (255, 255, 255)
FONT = cv2.FONT_HERSHEY_SIMPLEX


# ----------------------------------------------------------------------------- geometry
def adaptive_scale(img_shape: Sequence[int],
                   base: float = 360.,
                   min_scale: float = 0.4,
                   max_scale: float = 3.0) -> float:
    """Scale of strokes and text for a frame: its short edge over ``base``, clipped.

    Args:
        img_shape (Sequence[int]): ``(H, W, ...)`` of the frame.
        base (float): short edge (pixels) drawn at scale 1. Defaults to 360.
        min_scale (float): lower bound. Defaults to 0.4.
        max_scale (float): upper bound. Defaults to 3.0.

    Returns:
        float: the scale.
    """
    return float(min(max(min(img_shape[:2]) / base, min_scale), max_scale))


def tube_boxes_at_frames(span: Sequence[int], frame_ids, bboxes,
                         frames) -> Tuple[np.ndarray, np.ndarray]:
    """Box of a tube at each of ``frames``.

    Args:
        span (Sequence[int]): half-open ``(start, end)`` of the tube, original frames.
        frame_ids (array-like): (K,) original frames that carry a box (any order, repeats
            are averaged). A GT tube passes ``arange(start, end)``.
        bboxes (array-like): (K, 4) xyxy boxes at those frames, original pixels.
        frames (array-like): (F,) original frame indices where boxes are wanted.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``boxes`` (F, 4) float64 xyxy (NaN where invalid) and
        ``valid`` (F,) bool: the frame lies in ``[start, end)`` and the tube has a box. Inside
        the span boxes are linearly interpolated between the frames of ``frame_ids`` and held
        before the first / after the last of them (``dense`` protocol).
    """
    tube = Tube(span, frame_ids, bboxes)
    frames = np.asarray(frames, dtype=np.int64).reshape(-1)
    boxes = np.full((frames.shape[0], 4), np.nan, dtype=np.float64)
    valid = (frames >= tube.span[0]) & (frames < tube.span[1])
    if tube.frame_ids.size == 0:
        valid[:] = False
    if valid.any():
        boxes[valid] = tube.interpolate(frames[valid])
    return boxes, valid


def span_to_pixels(span: Sequence[int], frame_range: Sequence[int], width: int) -> Tuple[int, int]:
    """Pixel columns ``[x0, x1)`` of a frame span on a timeline of ``width`` pixels.

    Args:
        span (Sequence[int]): half-open ``(start, end)`` in original frames.
        frame_range (Sequence[int]): half-open ``(first, last + 1)`` frames the timeline covers.
        width (int): timeline width in pixels.

    Returns:
        tuple[int, int]: columns, clipped to ``[0, width]``; a non-empty span intersecting the
        range is at least one pixel wide; ``x0 == x1`` when it does not intersect it.
    """
    r0, r1 = int(frame_range[0]), int(frame_range[1])
    length = max(r1 - r0, 1)
    s, e = max(int(span[0]), r0), min(int(span[1]), r1)
    if e <= s:
        return 0, 0
    x0 = int(np.floor((s - r0) / length * width))
    x1 = int(np.ceil((e - r0) / length * width))
    x0 = min(max(x0, 0), width - 1)
    x1 = min(max(x1, x0 + 1), width)
    return x0, x1


def frame_to_pixel(frame_idx: int, frame_range: Sequence[int], width: int) -> int:
    """Column of the centre of frame ``frame_idx`` on a timeline (clipped to the bar)."""
    r0, r1 = int(frame_range[0]), int(frame_range[1])
    length = max(r1 - r0, 1)
    x = int((frame_idx - r0 + 0.5) / length * width)
    return min(max(x, 0), width - 1)


# ----------------------------------------------------------------------------- boxes
def draw_box(img: np.ndarray,
             box: Sequence[float],
             color: Color = GT_COLOR,
             thickness: int = 2) -> np.ndarray:
    """Draw one xyxy box outline in place.

    The corner coordinates are rounded to pixels and clipped to the image, so the pixels on
    the lines ``x = round(x1)``, ``x = round(x2)``, ``y = round(y1)``, ``y = round(y2)`` (inside
    the image) get ``color``; thicker strokes grow around those lines. A box with a
    non-finite coordinate, or entirely outside the image, is not drawn.

    Args:
        img (np.ndarray): (H, W, 3) uint8 canvas, modified in place.
        box (Sequence[float]): ``(x1, y1, x2, y2)`` in the canvas' pixels.
        color (tuple): RGB colour. Defaults to green.
        thickness (int): stroke width in pixels. Defaults to 2.

    Returns:
        np.ndarray: ``img``.
    """
    box = np.asarray(box, dtype=np.float64).reshape(-1)
    if box.shape[0] != 4 or not np.isfinite(box).all():
        return img
    h, w = img.shape[:2]
    x1, y1, x2, y2 = np.rint(box).astype(np.int64)
    if x2 < 0 or y2 < 0 or x1 > w - 1 or y1 > h - 1:
        return img
    x1, x2 = np.clip([x1, x2], 0, w - 1)
    y1, y2 = np.clip([y1, y2], 0, h - 1)
    cv2.rectangle(
        img, (int(x1), int(y1)), (int(x2), int(y2)),
        tuple(int(c) for c in color),
        thickness=max(int(thickness), 1),
        lineType=cv2.LINE_8)
    return img


# ----------------------------------------------------------------------------- text
def to_ascii(text: str) -> str:
    """``text`` in the ASCII that cv2's Hershey fonts can draw (accents dropped, other
    characters replaced by ``?``)."""
    text = unicodedata.normalize('NFKD', str(text))
    out = []
    for ch in text:
        if unicodedata.combining(ch):
            continue
        out.append(ch if 32 <= ord(ch) < 127 else ('?' if not ch.isspace() else ' '))
    return ''.join(out)


def text_size(text: str,
              font_scale: float,
              thickness: int,
              font: Optional[UnicodeFont] = None) -> Tuple[int, int]:
    """``(width, height_with_baseline)`` of one line of text in pixels (cv2's Hershey font,
    or ``font`` when given)."""
    if font is not None:
        return font.width(text), font.line_height
    (w, h), baseline = cv2.getTextSize(text, FONT, font_scale, thickness)
    return w, h + baseline


def wrap_text(text: str,
              max_width: int,
              font_scale: float,
              thickness: int,
              max_lines: Optional[int] = None,
              font: Optional[UnicodeFont] = None) -> List[str]:
    """Greedy word wrap of ``text`` to lines at most ``max_width`` pixels wide.

    Args:
        text (str): the text (converted with :func:`to_ascii` unless ``font`` is given).
        max_width (int): line width in pixels.
        font_scale (float): cv2 font scale.
        thickness (int): cv2 stroke thickness.
        max_lines (int, optional): keep at most this many lines; the last kept line ends with
            ``...`` when text was dropped. None keeps all. Defaults to None.
        font (UnicodeFont, optional): a TrueType font for non-ASCII text
            (:func:`~mmstvg.visualization.text_font.caption_font`). Defaults to None.

    Returns:
        list[str]: the lines (empty for an empty text). A word wider than a line is cut
        (so is a run of characters without spaces, e.g. Chinese).
    """

    def width(t):
        return text_size(t, font_scale, thickness, font)[0]

    words = (str(text) if font is not None else to_ascii(text)).split()
    lines: List[str] = []
    current = ''
    for word in words:
        candidate = f'{current} {word}' if current else word
        if width(candidate) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while width(word) > max_width and len(word) > 1:
            cut = len(word) - 1
            while cut > 1 and width(word[:cut]) > max_width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max(int(max_lines), 1)]
        last = lines[-1]
        while last and width(last + '...') > max_width:
            last = last[:-1]
        lines[-1] = last.rstrip() + '...'
    return lines


def draw_text_lines(img: np.ndarray,
                    lines: Sequence[str],
                    origin: Tuple[int, int],
                    font_scale: float,
                    thickness: int,
                    color: Color = TEXT_COLOR,
                    line_gap: int = 4,
                    font: Optional[UnicodeFont] = None) -> np.ndarray:
    """Draw lines of text in place, the top-left of the first line at ``origin`` (x, y)
    (cv2's Hershey font, or the TrueType ``font`` when given)."""
    x, y = int(origin[0]), int(origin[1])
    for line in lines:
        if font is not None:
            font.draw(img, line, (x, y), color)
            y += font.line_height + line_gap
            continue
        (_, h), baseline = cv2.getTextSize(line, FONT, font_scale, thickness)
        cv2.putText(img, line, (x, y + h), FONT, font_scale, tuple(int(c) for c in color),
                    thickness, cv2.LINE_AA)
        y += h + baseline + line_gap
    return img


def caption_height(lines: Sequence[str],
                   font_scale: float,
                   thickness: int,
                   line_gap: int = 4,
                   margin: int = 4,
                   font: Optional[UnicodeFont] = None) -> int:
    """Rows of the caption band that holds ``lines`` (0 for no line)."""
    if not lines:
        return 0
    line_h = text_size('Ag', font_scale, thickness, font)[1]
    return 2 * margin + len(lines) * line_h + (len(lines) - 1) * line_gap


def render_caption_band(lines: Sequence[str],
                        width: int,
                        height: int,
                        font_scale: float,
                        thickness: int,
                        color: Color = TEXT_COLOR,
                        bg_color: Color = BAND_COLOR,
                        line_gap: int = 4,
                        margin: int = 4,
                        font: Optional[UnicodeFont] = None) -> np.ndarray:
    """A (height, width, 3) uint8 band with ``lines`` written on ``bg_color``."""
    band = np.empty((max(int(height), 0), int(width), 3), dtype=np.uint8)
    band[...] = np.asarray(bg_color, dtype=np.uint8)
    if height > 0:
        draw_text_lines(
            band, lines, (margin, margin), font_scale, thickness, color, line_gap, font=font)
    return band


def render_caption(sentence: str,
                   width: int,
                   font_scale: float,
                   thickness: int,
                   max_lines: Optional[int] = None,
                   color: Color = TEXT_COLOR,
                   bg_color: Color = BAND_COLOR,
                   font_path: Optional[str] = None) -> Optional[np.ndarray]:
    """The caption band of a sentence: wrapped to ``width - 8`` pixels, ASCII with cv2's
    font, other text with a TrueType font that covers it (``font_path`` first; see
    :mod:`mmstvg.visualization.text_font`, which warns about characters no font covers).

    Returns:
        np.ndarray or None: (h, width, 3) uint8, None for an empty sentence.
    """
    font, text = caption_font(sentence, font_scale, font_path)
    lines = wrap_text(text, width - 8, font_scale, thickness, max_lines=max_lines, font=font)
    if not lines:
        return None
    return render_caption_band(
        lines,
        width,
        caption_height(lines, font_scale, thickness, font=font),
        font_scale,
        thickness,
        color,
        bg_color,
        font=font)


# ----------------------------------------------------------------------------- timeline
def timeline_height(font_scale: float,
                    thickness: int,
                    bar_height: int,
                    margin: int = 4,
                    info_lines: int = 1) -> int:
    """Rows of the timeline band: ``info_lines`` lines of text above a bar of
    ``2 * bar_height`` rows."""
    line_h = text_size('Ag', font_scale, thickness)[1]
    info_lines = max(int(info_lines), 0)
    return 3 * margin + info_lines * line_h + max(info_lines - 1, 0) * margin + \
        2 * int(bar_height)


def timeline_info_segments(frame_idx: int,
                           gt_span: Optional[Sequence[int]] = None,
                           pred_span: Optional[Sequence[int]] = None,
                           fps: Optional[float] = None,
                           gt_color: Color = GT_COLOR,
                           pred_color: Color = PRED_COLOR,
                           text_color: Color = TEXT_COLOR,
                           seconds: Optional[float] = None) -> List[Tuple[str, Color]]:
    """``(text, colour)`` pieces of the info text: frame index (and time: ``seconds`` when
    given, the frame's presentation time, else ``frame_idx / fps``), GT span, predicted span,
    tIoU."""
    if seconds is None and fps:
        seconds = frame_idx / fps
    segments = [(f'frame {int(frame_idx)}' + (f' ({seconds:.2f}s)' if seconds is not None else ''),
                 text_color)]
    if gt_span is not None:
        segments.append((f'GT [{int(gt_span[0])}, {int(gt_span[1])})', gt_color))
    if pred_span is not None:
        segments.append((f'pred [{int(pred_span[0])}, {int(pred_span[1])})', pred_color))
    if gt_span is not None and pred_span is not None:
        tiou = temporal_iou(tuple(int(v) for v in pred_span), tuple(int(v) for v in gt_span))
        segments.append((f'tIoU {tiou:.2f}', text_color))
    return segments


def layout_segments(segments: Sequence[Tuple[str, Color]],
                    width: int,
                    font_scale: float,
                    thickness: int,
                    margin: int = 4) -> List[List[Tuple[str, Color, int]]]:
    """Greedy placement of text pieces on lines ``width`` pixels wide, ``3 * margin`` apart:
    a list of lines of ``(text, colour, x)``."""
    lines: List[List[Tuple[str, Color, int]]] = [[]]
    x = margin
    for text, color in segments:
        w = text_size(text, font_scale, thickness)[0]
        if lines[-1] and x + w > width - margin:
            lines.append([])
            x = margin
        lines[-1].append((text, color, x))
        x += w + 3 * margin
    return lines


def render_timeline_band(width: int,
                         height: int,
                         frame_idx: int,
                         frame_range: Sequence[int],
                         gt_span: Optional[Sequence[int]] = None,
                         pred_span: Optional[Sequence[int]] = None,
                         clip: Optional[Sequence[int]] = None,
                         bar_height: int = 6,
                         font_scale: float = 0.4,
                         thickness: int = 1,
                         fps: Optional[float] = None,
                         gt_color: Color = GT_COLOR,
                         pred_color: Color = PRED_COLOR,
                         text_color: Color = TEXT_COLOR,
                         bg_color: Color = BAND_COLOR,
                         timeline_bg_color: Color = TIMELINE_BG_COLOR,
                         clip_color: Color = TIMELINE_CLIP_COLOR,
                         cursor_color: Color = CURSOR_COLOR,
                         margin: int = 4,
                         seconds: Optional[float] = None) -> np.ndarray:
    """The band under a frame: info text and a timeline bar.

    Info text (wrapped on the lines the band has room for, see :func:`timeline_height`):
    ``frame <idx>`` (and ``<t>s`` when ``fps`` is given), then ``GT [s, e)`` in
    ``gt_color``, ``pred [s, e)`` in ``pred_color`` and their temporal IoU. Bar (the last
    ``2 * bar_height`` rows above the bottom margin, covering ``frame_range`` from left to
    right): the upper half marks the GT span, the lower half the predicted span, on
    ``timeline_bg_color`` with the query ``clip`` in ``clip_color``; a vertical cursor marks
    ``frame_idx``.

    Args:
        width (int): band width (the frame width).
        height (int): band height (see :func:`timeline_height`).
        frame_idx (int): current original frame.
        frame_range (Sequence[int]): ``[first, last + 1)`` frames the bar spans.
        gt_span, pred_span, clip (Sequence[int], optional): half-open spans to mark.
        bar_height (int): rows of each half of the bar. Defaults to 6.
        font_scale (float), thickness (int): text size.
        fps (float, optional): frame rate, to print the time of the frame.
        *_color: RGB colours.
        margin (int): padding in pixels. Defaults to 4.
        seconds (float, optional): the frame's presentation time, printed instead of
            ``frame_idx / fps`` (variable frame rates).

    Returns:
        np.ndarray: (height, width, 3) uint8.
    """
    band = np.empty((int(height), int(width), 3), dtype=np.uint8)
    band[...] = np.asarray(bg_color, dtype=np.uint8)
    bar_h = int(bar_height)
    bar_y0 = int(height) - margin - 2 * bar_h
    bar_y1 = bar_y0 + 2 * bar_h
    bx0, bx1 = margin, int(width) - margin
    bar_w = max(bx1 - bx0, 1)

    # info text (pieces that do not fit wrap to the next line while rows are left)
    line_h = text_size('Ag', font_scale, thickness)[1]
    segments = timeline_info_segments(
        frame_idx, gt_span, pred_span, fps, gt_color, pred_color, text_color, seconds=seconds)
    y = margin
    for line in layout_segments(segments, int(width), font_scale, thickness, margin):
        if y + line_h > bar_y0 - margin:
            break
        for text, color, x in line:
            draw_text_lines(band, [text], (x, y), font_scale, thickness, color)
        y += line_h + margin

    # bar
    if bar_y0 < 0 or bar_h <= 0:
        return band
    bar = band[bar_y0:bar_y1, bx0:bx0 + bar_w]
    bar[...] = np.asarray(timeline_bg_color, dtype=np.uint8)
    if clip is not None:
        c0, c1 = span_to_pixels(clip, frame_range, bar_w)
        bar[:, c0:c1] = np.asarray(clip_color, dtype=np.uint8)
    if gt_span is not None:
        g0, g1 = span_to_pixels(gt_span, frame_range, bar_w)
        bar[:bar_h, g0:g1] = np.asarray(gt_color, dtype=np.uint8)
    if pred_span is not None:
        p0, p1 = span_to_pixels(pred_span, frame_range, bar_w)
        bar[bar_h:, p0:p1] = np.asarray(pred_color, dtype=np.uint8)
    cx = bx0 + frame_to_pixel(frame_idx, frame_range, bar_w)
    band[max(bar_y0 - 2, 0):min(bar_y1 + 2, int(height)), max(cx - 1, 0):cx + 1] = \
        np.asarray(cursor_color, dtype=np.uint8)
    return band


# ----------------------------------------------------------------------------- frames
def stack_bands(top: Optional[np.ndarray],
                frame: np.ndarray,
                bottom: Optional[np.ndarray],
                even: bool = False) -> np.ndarray:
    """Stack ``top``, ``frame`` and ``bottom`` vertically (None / empty bands skipped).

    Args:
        even (bool): pad one black row / column when the height / width is odd (what
            ``yuv420p`` video encoding needs). Defaults to False.
    """
    parts = [p for p in (top, frame, bottom) if p is not None and p.shape[0] > 0]
    canvas = np.concatenate(parts, axis=0) if len(parts) > 1 else parts[0]
    if even and (canvas.shape[0] % 2 or canvas.shape[1] % 2):
        canvas = np.pad(canvas, ((0, canvas.shape[0] % 2), (0, canvas.shape[1] % 2), (0, 0)))
    return canvas


def draw_tube_frame(frame: np.ndarray,
                    frame_idx: int,
                    gt_box: Optional[Sequence[float]] = None,
                    pred_box: Optional[Sequence[float]] = None,
                    caption_band: Optional[np.ndarray] = None,
                    timeline_band: Optional[np.ndarray] = None,
                    gt_color: Color = GT_COLOR,
                    pred_color: Color = PRED_COLOR,
                    line_width: int = 2,
                    even: bool = False) -> np.ndarray:
    """One drawn frame: boxes on a copy of ``frame``, bands above / below it.

    Args:
        frame (np.ndarray): (H, W, 3) uint8 RGB original frame (not modified).
        frame_idx (int): its original index (unused by the drawing itself; kept so that
            callers pass frames and indices together).
        gt_box, pred_box (Sequence[float], optional): xyxy boxes in original pixels, or None
            (no box at this frame). The predicted box is drawn over the GT box.
        caption_band, timeline_band (np.ndarray, optional): (h, W, 3) bands (see
            :func:`render_caption_band` and :func:`render_timeline_band`).
        gt_color, pred_color (tuple): RGB colours. Defaults to green / red.
        line_width (int): box stroke in pixels. Defaults to 2.
        even (bool): pad to even height / width (video encoding). Defaults to False.

    Returns:
        np.ndarray: (h_top + H + h_bottom (+1), W (+1), 3) uint8; the frame's pixel
        ``(y, x)`` is at ``(y + h_top, x)``.
    """
    del frame_idx
    img = np.array(frame, dtype=np.uint8, copy=True)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f'draw_tube_frame: expected an (H, W, 3) frame, got {img.shape}')
    if gt_box is not None:
        draw_box(img, gt_box, gt_color, line_width)
    if pred_box is not None:
        draw_box(img, pred_box, pred_color, line_width)
    return stack_bands(caption_band, img, timeline_band, even=even)


def make_montage(images: Sequence[np.ndarray],
                 ncols: int = 4,
                 gap: int = 4,
                 bg_color: Color = (255, 255, 255)) -> np.ndarray:
    """Grid of equally sized images, row-major, ``gap`` pixels apart.

    Args:
        images (Sequence[np.ndarray]): (H, W, 3) uint8 images (smaller ones are padded).
        ncols (int): images per row. Defaults to 4.
        gap (int): pixels between images. Defaults to 4.
        bg_color (tuple): RGB colour of the gaps. Defaults to white.

    Returns:
        np.ndarray: (rows * H + (rows - 1) * gap, cols * W + (cols - 1) * gap, 3) uint8.
    """
    if len(images) == 0:
        raise ValueError('make_montage needs at least one image')
    h = max(img.shape[0] for img in images)
    w = max(img.shape[1] for img in images)
    ncols = max(min(int(ncols), len(images)), 1)
    nrows = (len(images) + ncols - 1) // ncols
    out = np.empty((nrows * h + (nrows - 1) * gap, ncols * w + (ncols - 1) * gap, 3),
                   dtype=np.uint8)
    out[...] = np.asarray(bg_color, dtype=np.uint8)
    for i, img in enumerate(images):
        r, c = divmod(i, ncols)
        y, x = r * (h + gap), c * (w + gap)
        out[y:y + img.shape[0], x:x + img.shape[1]] = img
    return out
