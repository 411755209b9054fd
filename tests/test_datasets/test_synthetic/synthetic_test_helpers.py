"""Shared constants of the synthetic benchmark tests."""

#: A tiny generation (well under a second on 2 cores): 24 frames of 64x64 at 8 fps.
TINY = dict(num_train=6, num_val=3, num_test=2, num_frames=24, size=64, fps=8, seed=3)
