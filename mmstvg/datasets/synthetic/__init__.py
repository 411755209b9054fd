"""Procedurally generated synthetic STVG benchmark (HC-STVG v2 format), CPU-sized.

``scene`` samples actors/actions/trajectories, ``render`` draws and encodes the videos,
``text`` writes the queries and the word-level tokenizer, ``generator`` writes a whole
benchmark (``tools/data/synthetic/generate.py`` is its command line).
"""
from .generator import (ANN_FILES, QUERY_FILE, TOKENIZER_DIR, VIDEO_DIR, generate_synthetic_stvg,
                        is_complete, make_query, video_name)
from .render import read_video, render_frames, write_video
from .scene import (ACTIONS, DEFAULT_COLOURS, MOVE_DIRECTIONS, PALETTE, SHAPES, SIZES, ActionEvent,
                    Actor, Appearance, Scene, make_sprite, sample_scene, unique_descriptions)
from .text import build_tokenizer, build_vocabulary, describe, make_sentence, save_tokenizer

__all__ = [
    'ANN_FILES', 'QUERY_FILE', 'TOKENIZER_DIR', 'VIDEO_DIR', 'generate_synthetic_stvg',
    'is_complete', 'make_query', 'video_name', 'read_video', 'render_frames', 'write_video',
    'ACTIONS', 'DEFAULT_COLOURS', 'MOVE_DIRECTIONS', 'PALETTE', 'SHAPES', 'SIZES', 'ActionEvent',
    'Actor', 'Appearance', 'Scene', 'make_sprite', 'sample_scene', 'unique_descriptions',
    'build_tokenizer', 'build_vocabulary', 'describe', 'make_sentence', 'save_tokenizer'
]
