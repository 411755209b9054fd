from .draw_tube import (GT_COLOR, PRED_COLOR, draw_box, draw_tube_frame, make_montage,
                        render_caption_band, render_timeline_band, tube_boxes_at_frames)
from .stvg_visualizer import STVGVisualizer

__all__ = [
    'GT_COLOR', 'PRED_COLOR', 'draw_box', 'draw_tube_frame', 'make_montage', 'render_caption_band',
    'render_timeline_band', 'tube_boxes_at_frames', 'STVGVisualizer'
]
