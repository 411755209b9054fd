"""Scene sampling, rendering and query wording of the synthetic benchmark (no disk I/O)."""
import itertools

import numpy as np
import pytest

from mmstvg.datasets.synthetic import (ACTIONS, PALETTE, SHAPES, ActionEvent, describe, make_query,
                                       make_sprite, render_frames, sample_scene,
                                       unique_descriptions)
from mmstvg.datasets.synthetic.scene import Appearance

SETTINGS = [dict(num_frames=64, size=128), dict(num_frames=24, size=64)]


def _scenes(num, **kwargs):
    for i in range(num):
        yield make_query(7, 'train', i, **kwargs)


@pytest.mark.parametrize('shape', SHAPES)
@pytest.mark.parametrize('side', [9, 19, 33])
def test_sprite_is_tight(shape, side):
    mask = make_sprite(shape, side)
    assert mask.dtype == bool
    assert mask[0].any() and mask[-1].any() and mask[:, 0].any() and mask[:, -1].any()
    assert mask.shape[0] <= side and mask.shape[1] <= side
    if shape == 'square':
        assert mask.all() and mask.shape == (side, side)
    else:  # not a filled box
        assert not mask.all()


def test_action_offsets():
    move = ActionEvent('moves right', start=5, end=15, distance=20.0)
    off = move.offsets(20)
    assert (off[:5] == 0).all() and np.allclose(off[14:, 0], 20) and (off[:, 1] == 0).all()
    steps = np.diff(off[:, 0])
    # the position changes exactly on the frames of the span (step into frame t = steps[t-1])
    assert np.allclose(steps[4:14], 2.0) and (steps[:4] == 0).all() and (steps[14:] == 0).all()
    up = ActionEvent('moves up', 0, 4, 8.0).offsets(6)
    assert np.allclose(up[-1], [0, -8])
    jump = ActionEvent('jumps', start=3, end=13, distance=10.0, hops=2).offsets(16)
    assert (jump[:3] == 0).all() and (jump[13:] == 0).all() and (jump[:, 0] == 0).all()
    assert (jump[3:13, 1] < 0).all() and jump[:, 1].min() >= -10


@pytest.mark.parametrize('setting', SETTINGS)
def test_scene_invariants(setting):
    num_frames, size = setting['num_frames'], setting['size']
    for scene, rec in _scenes(40, **setting):
        assert 2 <= len(scene.actors) <= 4
        apps = [a.appearance for a in scene.actors]
        assert len(set(apps)) == len(apps)
        boxes = [a.boxes() for a in scene.actors]
        for b in boxes:  # fully inside the frame on every frame
            assert b.shape == (num_frames, 4)
            assert (b[:, :2] >= 0).all() and (b[:, 2:] <= size).all()
        for b1, b2 in itertools.combinations(boxes, 2):  # never overlapping
            sep = ((b1[:, 2] <= b2[:, 0]) | (b2[:, 2] <= b1[:, 0]) | (b1[:, 3] <= b2[:, 1])
                   | (b2[:, 3] <= b1[:, 1]))
            assert sep.all()
        target = scene.actors[scene.target]
        assert scene.query in target.actions
        # the queried action is performed by the target exactly once
        assert [e.action for e in target.actions].count(scene.query.action) == 1
        for actor in scene.actors:
            spans = sorted(actor.busy())
            for (s1, e1), (s2, e2) in zip(spans, spans[1:]):
                assert e1 <= s2
            for s, e in spans:
                assert 0 <= s < e <= num_frames
        length = scene.query.end - scene.query.start
        assert 0.2 * num_frames - 1 <= length <= 0.6 * num_frames + 1
        assert rec['action'] in ACTIONS


@pytest.mark.parametrize('setting', SETTINGS)
def test_target_moves_in_span_only(setting):
    inside_all, outside_all = [], []
    for scene, _ in _scenes(40, **setting):
        target = scene.actors[scene.target]
        centres = target.boxes().reshape(-1, 2, 2).mean(axis=1)
        step = np.abs(np.diff(centres, axis=0)).sum(axis=1)  # step[t - 1]: into frame t
        active = np.zeros(scene.num_frames, dtype=bool)
        for e in target.actions:
            active[e.start:e.end] = True
        s, e = scene.query.start, scene.query.end
        inside = step[np.arange(max(s, 1), e) - 1]
        assert inside.mean() >= 0.9, (s, e, inside)
        inside_all.append(inside.mean())
        idle = ~active[1:] & ~active[:-1]
        if idle.any():
            outside_all.append(step[idle].mean())
        if scene.query.action.startswith('moves'):
            assert np.abs(centres[e - 1] - centres[max(s - 1, 0)]).sum() >= 0.15 * scene.size
    assert np.mean(inside_all) > 4 * np.mean(outside_all)


def test_rendered_pixels_match_boxes():
    scene, rec = make_query(11, 'val', 0, num_frames=16, size=64)
    frames = render_frames(scene)
    assert frames.shape == (16, 64, 64, 3) and frames.dtype == np.uint8
    for actor in scene.actors:
        colour = np.asarray(PALETTE[actor.appearance.colour])
        for t, (x1, y1, x2, y2) in enumerate(actor.boxes()):
            patch = frames[t, y1:y2, x1:x2]
            assert ((patch == colour).all(-1) == actor.mask).all()
    target = scene.actors[scene.target]
    xyxy = np.array([[x, y, x + w, y + h] for x, y, w, h in rec['bbox']])
    assert (xyxy == target.boxes()[scene.query.start:scene.query.end]).all()


def test_minimal_unique_description():
    rng = np.random.default_rng(0)
    target = Appearance('red', 'square', 'small')
    others = [
        Appearance('red', 'circle', 'small'),
        Appearance('blue', 'square', 'small'),
        Appearance('red', 'square', 'big')
    ]
    assert unique_descriptions(target, others) == [('size', 'colour', 'shape')]
    phrase, attrs = describe(target, others, rng)
    assert phrase == 'the small red square' and attrs == ('size', 'colour', 'shape')
    phrase, attrs = describe(target, others[:2], rng)
    assert attrs == ('colour', 'shape') and phrase == 'the red square'
    phrase, attrs = describe(target, [Appearance('blue', 'square', 'big')], rng)
    assert len(attrs) == 1 and phrase in ('the small shape', 'the red shape')
    # the generated sentences name the target uniquely, with a minimal description
    for scene, rec in _scenes(60, num_frames=24, size=64):
        target = scene.actors[scene.target].appearance
        others = [a.appearance for i, a in enumerate(scene.actors) if i != scene.target]
        attrs = rec['attributes']
        assert all(any(o.get(a) != target.get(a) for a in attrs) for o in others)
        assert len(attrs) == len(unique_descriptions(target, others)[0])
        words = rec['English'].lower().rstrip('.').split()
        assert ' '.join(words[-len(rec['action'].split()):]) == rec['action']
        for a in attrs:
            assert target.get(a) in words


def test_sample_scene_is_deterministic():
    a = sample_scene(np.random.default_rng(5), num_frames=24, size=64)
    b = sample_scene(np.random.default_rng(5), num_frames=24, size=64)
    c = sample_scene(np.random.default_rng(6), num_frames=24, size=64)
    assert (render_frames(a) == render_frames(b)).all()
    assert not (render_frames(a).shape == render_frames(c).shape and
                (render_frames(a) == render_frames(c)).all())
