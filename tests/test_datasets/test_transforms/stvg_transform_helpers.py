"""Helpers of the transform tests (the rendered square video's geometry)."""
import numpy as np

# The test video: NUM_FRAMES frames of HEIGHT x WIDTH, black, with a red SQUARE x SQUARE
# square whose top-left corner is at square_xy(i) in frame i.
NUM_FRAMES, HEIGHT, WIDTH, SQUARE, FPS = 24, 48, 64, 8, 8


def square_xy(i: int) -> tuple:
    """Top-left (x, y) of the square in frame ``i`` (even, for yuv420 chroma blocks)."""
    return 2 * i, 8 + 2 * (i // 2)


def square_box(i: int) -> np.ndarray:
    """xyxy box of the square in frame ``i`` (absolute pixels)."""
    x, y = square_xy(i)
    return np.array([x, y, x + SQUARE, y + SQUARE], dtype=np.float32)


def render_frame(i: int) -> np.ndarray:
    img = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    x, y = square_xy(i)
    img[y:y + SQUARE, x:x + SQUARE] = (255, 0, 0)
    return img


def red_bbox(img: np.ndarray, thr: int = 128):
    """xyxy box of the pixels that are clearly red, or None."""
    img = np.asarray(img)
    mask = (img[..., 0] >= thr) & (img[..., 1] < thr) & (img[..., 2] < thr)
    if not mask.any():
        return None
    ys, xs = np.nonzero(mask)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=np.float32)


WORDS = ('the man woman on left right leftmost rightmost of a dog runs to is who '
         'walks in red square').split()
