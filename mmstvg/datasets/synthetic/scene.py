"""Scene model of the synthetic STVG benchmark: actors, their actions and their trajectories.

A scene is a static, lightly textured grey background with 2-4 *actors*: flat-coloured
sprites that differ in appearance (``colour`` x ``shape`` x ``size``, all three attributes
together unique within a scene). Actors are idle (a sub-pixel-to-1-pixel smooth jitter) except
during their *actions*, each over a half-open frame span ``[start, end)``:

- ``'moves left'`` / ``'moves right'`` / ``'moves up'`` / ``'moves down'``: a constant-velocity
  translation by ``D`` pixels (20-55 % of the frame); the actor stays at the new place after;
- ``'jumps'``: ``k`` parabolic hops (10-16 frames each) up from, and back to, the baseline.

The span of an action is exactly the set of frames whose position differs from the previous
frame because of the action: the displacement at frame ``t`` is ``D * (t - start + 1) / L``
(``L = end - start``) for a move and ``h * 4u(1 - u)``, ``u = frac(k (t - start + 0.5) / L)``,
for a jump (non-zero inside the span only).

The query target performs the queried action once; distractors share one or two attributes
with the target most of the time, perform 0-2 actions at random times, and one of them often
performs the SAME action as the target at another time, so the text must be grounded in both
appearance (which actor) and motion (which action, when). With some probability the target
also performs one other (different) action elsewhere. No two actors ever overlap (boxes at
least ``gap`` pixels apart on every frame) and every actor stays fully inside the frame, so
the target is always fully visible.

All coordinates are integer pixels of the rendered frame; a box is the tight box
``[x1, y1, x2, y2)`` of the sprite's pixels (``x2 - x1`` = number of covered columns).
Everything is drawn from one ``numpy.random.Generator``: the same generator state gives the
same scene.
"""
from dataclasses import dataclass, field
from itertools import combinations
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

#: RGB colours that are well separated in hue and stay recognisable after yuv420p encoding and
#: resizing to 64x64. The default palette is the first four.
PALETTE: Dict[str, Tuple[int, int, int]] = {
    'red': (230, 40, 40),
    'green': (40, 190, 70),
    'blue': (40, 90, 240),
    'yellow': (240, 220, 40),
    'purple': (160, 60, 210),
    'orange': (250, 140, 20),
    'cyan': (30, 210, 220),
    'pink': (250, 130, 200),
}
DEFAULT_COLOURS: Tuple[str, ...] = ('red', 'green', 'blue', 'yellow')
SHAPES: Tuple[str, ...] = ('square', 'circle', 'triangle')
#: Sprite side as a fraction of the frame side.
SIZES: Dict[str, float] = {'small': 0.15, 'big': 0.25}
#: The action vocabulary (sentence phrases). Horizontal flips swap left/right in the text.
ACTIONS: Tuple[str, ...] = ('jumps', 'moves left', 'moves right', 'moves up', 'moves down')
MOVE_DIRECTIONS: Dict[str, Tuple[int, int]] = {
    'moves left': (-1, 0),
    'moves right': (1, 0),
    'moves up': (0, -1),
    'moves down': (0, 1),
}
ATTRIBUTES: Tuple[str, ...] = ('size', 'colour', 'shape')


@dataclass(frozen=True)
class Appearance:
    """What an actor looks like (unique within a scene)."""
    colour: str
    shape: str
    size: str

    def get(self, attr: str) -> str:
        """Value of attribute ``attr`` (``'size'``, ``'colour'`` or ``'shape'``)."""
        return getattr(self, attr)


@dataclass
class ActionEvent:
    """One action of one actor over the frames ``[start, end)``.

    Args:
        action (str): one of :data:`ACTIONS`.
        start (int): first frame (0-based).
        end (int): frame after the last one.
        distance (float): travel of a move in pixels; jump height for a jump.
        hops (int): number of hops of a jump (1 for moves).
    """
    action: str
    start: int
    end: int
    distance: float
    hops: int = 1

    def offsets(self, num_frames: int) -> np.ndarray:
        """Displacement caused by this action on every frame.

        Returns:
            np.ndarray: (num_frames, 2) float64 ``(dx, dy)`` in pixels.
        """
        t = np.arange(num_frames, dtype=np.float64)
        length = self.end - self.start
        out = np.zeros((num_frames, 2), dtype=np.float64)
        if self.action in MOVE_DIRECTIONS:
            progress = np.clip((t - self.start + 1) / length, 0.0, 1.0)
            direction = np.asarray(MOVE_DIRECTIONS[self.action], dtype=np.float64)
            out += progress[:, None] * self.distance * direction[None]
        elif self.action == 'jumps':
            inside = (t >= self.start) & (t < self.end)
            u = np.mod(self.hops * (t - self.start + 0.5) / length, 1.0)
            out[:, 1] = -np.where(inside, self.distance * 4 * u * (1 - u), 0.0)
        else:
            raise ValueError(f'unknown action {self.action!r}')
        return out


@dataclass
class Actor:
    """An actor: appearance, sprite, actions and (after placement) its trajectory.

    Attributes:
        appearance (Appearance): colour / shape / size.
        mask (np.ndarray): (h, w) bool sprite, cropped to its tight box.
        actions (list[ActionEvent]): non-overlapping actions, sorted by start.
        jitter (np.ndarray): (num_frames, 2) float idle jitter ``(dx, dy)``.
        anchor (tuple[int, int] or None): top-left ``(x, y)`` of the sprite before any
            displacement; None until placed.
    """
    appearance: Appearance
    mask: np.ndarray
    actions: List[ActionEvent] = field(default_factory=list)
    jitter: Optional[np.ndarray] = None
    anchor: Optional[Tuple[int, int]] = None

    def relative_positions(self) -> np.ndarray:
        """(num_frames, 2) int64 top-left offsets from ``anchor`` (actions + jitter)."""
        rel = self.jitter.copy()
        for event in self.actions:
            rel += event.offsets(len(rel))
        return np.round(rel).astype(np.int64)

    def positions(self) -> np.ndarray:
        """(num_frames, 2) int64 top-left ``(x, y)`` of the sprite on every frame."""
        assert self.anchor is not None, 'actor not placed'
        return self.relative_positions() + np.asarray(self.anchor, dtype=np.int64)[None]

    def boxes(self) -> np.ndarray:
        """(num_frames, 4) int64 tight boxes ``[x1, y1, x2, y2)`` on every frame."""
        pos = self.positions()
        h, w = self.mask.shape
        return np.concatenate([pos, pos + np.array([w, h])], axis=1)

    def busy(self) -> List[Tuple[int, int]]:
        """Spans ``[start, end)`` of the actor's actions."""
        return [(e.start, e.end) for e in self.actions]


@dataclass
class Scene:
    """A sampled scene (see the module docstring).

    Attributes:
        size (int): frame side (square frames).
        num_frames (int): frames in the video.
        background (np.ndarray): (size, size, 3) uint8 RGB static background.
        actors (list[Actor]): placed actors (drawing order).
        target (int): index of the query's target in ``actors``.
        query (ActionEvent): the target's queried action (one of its ``actions``).
    """
    size: int
    num_frames: int
    background: np.ndarray
    actors: List[Actor]
    target: int
    query: ActionEvent


def sprite_side(size_name: str, frame_size: int, sizes: Dict[str, float] = SIZES) -> int:
    """Odd sprite side in pixels for the size attribute ``size_name``."""
    return 2 * int(round(sizes[size_name] * frame_size / 2)) + 1


def make_sprite(shape: str, side: int) -> np.ndarray:
    """Rasterise a shape (no anti-aliasing) and crop it to its tight box.

    Args:
        shape (str): ``'square'``, ``'circle'`` or ``'triangle'`` (apex up).
        side (int): odd side of the square canvas in pixels.

    Returns:
        np.ndarray: (h, w) bool mask, every border row/column has a set pixel.
    """
    canvas = np.zeros((side, side), dtype=np.uint8)
    r = side // 2
    if shape == 'square':
        canvas[:] = 1
    elif shape == 'circle':
        cv2.circle(canvas, (r, r), r, 1, thickness=-1, lineType=cv2.LINE_8)
    elif shape == 'triangle':
        pts = np.array([[r, 0], [0, side - 1], [side - 1, side - 1]], dtype=np.int32)
        cv2.fillPoly(canvas, [pts], 1, lineType=cv2.LINE_8)
    else:
        raise ValueError(f'unknown shape {shape!r}')
    ys, xs = np.nonzero(canvas)
    return canvas[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(bool)


def render_background(rng: np.random.Generator,
                      size: int,
                      grey_range: Tuple[int, int] = (70, 170),
                      blob_amplitude: float = 12.0,
                      grain_amplitude: float = 2.0) -> np.ndarray:
    """A neutral grey, lightly textured background (smooth blobs + fine static grain).

    Returns:
        np.ndarray: (size, size, 3) uint8 RGB.
    """
    grey = rng.uniform(*grey_range)
    tint = rng.uniform(-4, 4, size=3)
    blobs = rng.uniform(-1, 1, size=(4, 4)).astype(np.float32)
    blobs = cv2.resize(blobs, (size, size), interpolation=cv2.INTER_CUBIC)
    grain = rng.uniform(-1, 1, size=(size, size)).astype(np.float32)
    bg = grey + blob_amplitude * blobs + grain_amplitude * grain
    bg = bg[..., None] + tint[None, None]
    return np.clip(np.round(bg), 0, 255).astype(np.uint8)


# yapf: disable
def _smooth_jitter(rng: np.random.Generator, num_frames: int, amplitude: float,
                   freq_range: Tuple[float, float] = (0.015, 0.06)) -> np.ndarray:
    # yapf: enable
    """(num_frames, 2) smooth idle jitter: two sinusoids per axis, |jitter| <= amplitude."""
    t = np.arange(num_frames, dtype=np.float64)
    out = np.zeros((num_frames, 2), dtype=np.float64)
    if amplitude <= 0:
        return out
    for axis in range(2):
        w = rng.uniform(0.3, 0.7)
        for weight in (w, 1 - w):
            f = rng.uniform(*freq_range)
            phase = rng.uniform(0, 2 * np.pi)
            out[:, axis] += amplitude * weight * np.sin(2 * np.pi * f * t + phase)
    return out


def _sample_appearances(rng: np.random.Generator, num: int, colours: Sequence[str],
                        shapes: Sequence[str], sizes: Sequence[str], share_prob: float,
                        two_shared_prob: float) -> List[Appearance]:
    """Target first; each distractor shares attributes with the target w.p. ``share_prob``.

    A sharing distractor shares two attributes (w.p. ``two_shared_prob``) or one.
    """
    values = dict(colour=list(colours), shape=list(shapes), size=list(sizes))
    target = Appearance(
        colour=str(rng.choice(colours)),
        shape=str(rng.choice(shapes)),
        size=str(rng.choice(sizes)))
    out = [target]
    differing_used: List[str] = []
    for _ in range(100 * num):
        if len(out) == num:
            break
        if rng.random() < share_prob:
            if rng.random() < two_shared_prob:
                # differ in ONE attribute, preferring one no earlier distractor differs in:
                # the target then needs more words to be singled out
                fresh = [a for a in ATTRIBUTES if a not in differing_used] or list(ATTRIBUTES)
                differ = str(rng.choice(fresh))
                differing_used.append(differ)
                shared = set(ATTRIBUTES) - {differ}
            else:
                shared = {str(rng.choice(ATTRIBUTES))}
            attrs = {}
            for a in ATTRIBUTES:
                if a in shared:
                    attrs[a] = target.get(a)
                else:
                    others = [v for v in values[a] if v != target.get(a)]
                    if not others:
                        attrs[a] = target.get(a)
                    else:
                        attrs[a] = str(rng.choice(others))
            cand = Appearance(**attrs)
        else:
            cand = Appearance(
                colour=str(rng.choice(colours)),
                shape=str(rng.choice(shapes)),
                size=str(rng.choice(sizes)))
        if cand not in out:
            out.append(cand)
    return out


def _free_start(rng: np.random.Generator, length: int, num_frames: int,
                busy: Sequence[Tuple[int, int]], gap: int) -> Optional[int]:
    """A random start of a ``length``-frame span at least ``gap`` frames from ``busy`` spans."""
    starts = np.arange(0, num_frames - length + 1)
    ok = np.ones(len(starts), dtype=bool)
    for s, e in busy:
        ok &= (starts + length + gap <= s) | (starts >= e + gap)
    if not ok.any():
        return None
    return int(rng.choice(starts[ok]))


def _max_travel(frame_size: int, extent: int, margin: int) -> float:
    return float(frame_size - 2 * margin - extent)


def _sample_event(rng: np.random.Generator, action: str, start: int, length: int, frame_size: int,
                  sprite_hw: Tuple[int, int], margin: int, speed_range: Tuple[float, float],
                  travel_range: Tuple[float, float], jump_height_range: Tuple[float, float],
                  hop_frames: Tuple[int, int]) -> ActionEvent:
    """Sample the amplitude of one action (see the module docstring)."""
    h, w = sprite_hw
    if action in MOVE_DIRECTIONS:
        extent = w if MOVE_DIRECTIONS[action][0] else h
        lo = travel_range[0] * frame_size
        hi = min(travel_range[1] * frame_size, _max_travel(frame_size, extent, margin))
        speed = rng.uniform(*speed_range) * frame_size
        distance = float(np.clip(speed * length, lo, max(lo, hi)))
        return ActionEvent(action, start, start + length, distance)
    if action == 'jumps':
        hop = rng.uniform(hop_frames[0], hop_frames[1])
        hops = max(1, int(round(length / hop)))
        height = rng.uniform(*jump_height_range) * frame_size
        height = float(min(height, _max_travel(frame_size, h, margin)))
        return ActionEvent(action, start, start + length, height, hops)
    raise ValueError(f'unknown action {action!r}')


def _fits(actor: Actor, frame_size: int, margin: int) -> Optional[Tuple[np.ndarray, np.ndarray]]:
    """Inclusive ranges of valid anchors ``(lo_xy, hi_xy)``, or None if the path never fits."""
    rel = actor.relative_positions()
    h, w = actor.mask.shape
    lo = margin - rel.min(axis=0)
    hi = frame_size - margin - np.array([w, h]) - rel.max(axis=0)
    if (lo > hi).any():
        return None
    return lo, hi


def _collides(boxes: np.ndarray, others: Sequence[np.ndarray], gap: int) -> bool:
    for ob in others:
        sep = ((boxes[:, 2] + gap <= ob[:, 0]) | (ob[:, 2] + gap <= boxes[:, 0])
               | (boxes[:, 3] + gap <= ob[:, 1]) | (ob[:, 3] + gap <= boxes[:, 1]))
        if not sep.all():
            return True
    return False


def _place(rng: np.random.Generator, actor: Actor, placed: Sequence[Actor], frame_size: int,
           margin: int, gap: int, tries: int) -> bool:
    """Choose ``actor.anchor`` inside the frame and away from ``placed`` actors."""
    ranges = _fits(actor, frame_size, margin)
    if ranges is None:
        return False
    lo, hi = ranges
    others = [p.boxes() for p in placed]
    for _ in range(tries):
        actor.anchor = (int(rng.integers(lo[0], hi[0] + 1)), int(rng.integers(lo[1], hi[1] + 1)))
        if not _collides(actor.boxes(), others, gap):
            return True
    actor.anchor = None
    return False


def sample_scene(rng: np.random.Generator,
                 num_frames: int = 64,
                 size: int = 128,
                 colours: Sequence[str] = DEFAULT_COLOURS,
                 shapes: Sequence[str] = SHAPES,
                 sizes: Sequence[str] = tuple(SIZES),
                 actions: Sequence[str] = ACTIONS,
                 num_actors: Tuple[int, int] = (2, 4),
                 span_frac: Tuple[float, float] = (0.2, 0.6),
                 distractor_span_frac: Tuple[float, float] = (0.15, 0.45),
                 distractor_actions: Sequence[float] = (0.25, 0.5, 0.25),
                 share_prob: float = 0.8,
                 two_shared_prob: float = 0.7,
                 same_action_prob: float = 0.5,
                 target_extra_prob: float = 0.3,
                 speed_range: Tuple[float, float] = (0.012, 0.025),
                 travel_range: Tuple[float, float] = (0.2, 0.55),
                 jump_height_range: Tuple[float, float] = (0.15, 0.28),
                 hop_frames: Tuple[int, int] = (10, 16),
                 jitter: float = 1.0,
                 margin: int = 2,
                 gap: int = 3,
                 action_gap: int = 2,
                 max_attempts: int = 50,
                 background_cfg: Optional[dict] = None) -> Scene:
    """Sample one scene (see the module docstring).

    Args:
        rng (np.random.Generator): the only source of randomness.
        num_frames (int): frames in the video. Defaults to 64.
        size (int): frame side in pixels. Defaults to 128.
        colours / shapes / sizes (Sequence[str]): attribute values (keys of :data:`PALETTE`,
            :data:`SHAPES`, :data:`SIZES`).
        actions (Sequence[str]): action vocabulary (subset of :data:`ACTIONS`).
        num_actors (tuple[int, int]): inclusive range of actors per scene. Defaults to (2, 4).
        span_frac (tuple[float, float]): length of the queried action as a fraction of the
            video. Defaults to (0.2, 0.6).
        distractor_span_frac (tuple[float, float]): same for other actions.
        distractor_actions (Sequence[float]): probabilities of 0, 1, 2, ... actions per
            distractor.
        share_prob (float): probability that a distractor shares attributes with the
            target. Defaults to 0.8.
        two_shared_prob (float): probability that a sharing distractor shares two attributes
            (differs in one only). Defaults to 0.7.
        same_action_prob (float): probability that one distractor performs the queried action
            at a time disjoint from the target's span. Defaults to 0.5.
        target_extra_prob (float): probability that the target performs one other, different
            action at another time. Defaults to 0.3.
        speed_range (tuple[float, float]): move speed in frame sides per frame (before the
            travel is clipped to ``travel_range``).
        travel_range (tuple[float, float]): move travel in frame sides.
        jump_height_range (tuple[float, float]): jump height in frame sides.
        hop_frames (tuple[int, int]): frames per hop of a jump.
        jitter (float): idle jitter amplitude in pixels. Defaults to 1.0.
        margin (int): minimum distance of every actor to the frame border. Defaults to 2.
        gap (int): minimum distance between two actors' boxes on every frame. Defaults to 3.
        action_gap (int): minimum idle frames between two actions of one actor.
        max_attempts (int): scene re-draws before giving up.
        background_cfg (dict, optional): keyword arguments of :func:`render_background`.

    Returns:
        Scene: the scene.
    """
    if not 1 <= num_actors[0] <= num_actors[1]:
        raise ValueError(f'invalid num_actors {num_actors}')
    sizes_map = {k: SIZES[k] for k in sizes}
    ev_kwargs = dict(
        frame_size=size,
        margin=margin + int(np.ceil(jitter)),
        speed_range=speed_range,
        travel_range=travel_range,
        jump_height_range=jump_height_range,
        hop_frames=hop_frames)
    p_dis = np.asarray(distractor_actions, dtype=np.float64)
    p_dis = p_dis / p_dis.sum()

    def span_length(frac):
        return int(np.clip(round(rng.uniform(*frac) * num_frames), 2, num_frames))

    n = int(rng.integers(num_actors[0], num_actors[1] + 1))
    for attempt in range(max_attempts):
        # all ``n`` actors must fit; only the last few attempts may drop distractors
        required = n if attempt < max_attempts // 2 else num_actors[0]
        apps = _sample_appearances(rng, n, colours, shapes, sizes, share_prob, two_shared_prob)
        actors = [
            Actor(
                a,
                make_sprite(a.shape, sprite_side(a.size, size, sizes_map)),
                jitter=_smooth_jitter(rng, num_frames, jitter)) for a in apps
        ]
        target = actors[0]
        query_action = str(rng.choice(actions))
        length = span_length(span_frac)
        start = int(rng.integers(0, num_frames - length + 1))
        query = _sample_event(
            rng, query_action, start, length, sprite_hw=target.mask.shape, **ev_kwargs)
        target.actions.append(query)
        other_actions = [a for a in actions if a != query_action]
        if other_actions and rng.random() < target_extra_prob:
            _add_action(rng, target, str(rng.choice(other_actions)), distractor_span_frac,
                        num_frames, action_gap, ev_kwargs, size, margin)
        same_action_idx = 1 if len(actors) > 1 and rng.random() < same_action_prob else None
        for i, actor in enumerate(actors[1:], start=1):
            if i == same_action_idx:
                _add_action(
                    rng,
                    actor,
                    query_action,
                    distractor_span_frac,
                    num_frames,
                    action_gap,
                    ev_kwargs,
                    size,
                    margin,
                    avoid=[(query.start, query.end)])
            n_act = int(rng.choice(len(p_dis), p=p_dis))
            for _ in range(n_act - int(i == same_action_idx)):
                _add_action(rng, actor, str(rng.choice(actions)), distractor_span_frac, num_frames,
                            action_gap, ev_kwargs, size, margin)

        if not _place(rng, target, [], size, margin, gap, tries=20):
            continue
        placed = [target]
        for actor in actors[1:]:
            if _place(rng, actor, placed, size, margin, gap, tries=30):
                placed.append(actor)
                continue
            actor.actions = []  # an idle actor is easier to fit
            if _place(rng, actor, placed, size, margin, gap, tries=30):
                placed.append(actor)
        if len(placed) < required:
            continue
        order = rng.permutation(len(placed))
        drawn = [placed[i] for i in order]
        for actor in drawn:
            actor.actions.sort(key=lambda e: e.start)
        background = render_background(rng, size, **(background_cfg or {}))
        return Scene(
            size=size,
            num_frames=num_frames,
            background=background,
            actors=drawn,
            target=int(np.nonzero(order == 0)[0][0]),
            query=query)
    raise RuntimeError(f'could not sample a scene in {max_attempts} attempts '
                       f'(size={size}, num_frames={num_frames}, num_actors={num_actors})')


def _add_action(rng: np.random.Generator,
                actor: Actor,
                action: str,
                span_frac: Tuple[float, float],
                num_frames: int,
                action_gap: int,
                ev_kwargs: dict,
                frame_size: int,
                margin: int,
                avoid: Sequence[Tuple[int, int]] = ()) -> bool:
    """Add one action at a free time; keep it only if the actor's path still fits."""
    length = int(np.clip(round(rng.uniform(*span_frac) * num_frames), 2, num_frames))
    start = _free_start(rng, length, num_frames, list(actor.busy()) + list(avoid), action_gap)
    if start is None:
        return False
    event = _sample_event(rng, action, start, length, sprite_hw=actor.mask.shape, **ev_kwargs)
    actor.actions.append(event)
    if _fits(actor, frame_size, margin) is None:
        actor.actions.pop()
        return False
    return True


def unique_descriptions(target: Appearance,
                        others: Sequence[Appearance],
                        attribute_order: Sequence[str] = ATTRIBUTES) -> List[Tuple[str, ...]]:
    """All minimal attribute subsets that single out ``target`` among ``others``.

    Returns:
        list[tuple[str, ...]]: the subsets of smallest size (attributes in
        ``attribute_order``); ``[()]`` when there is no other actor.
    """
    for k in range(0, len(attribute_order) + 1):
        found = []
        for subset in combinations(attribute_order, k):
            if all(any(o.get(a) != target.get(a) for a in subset) for o in others):
                found.append(subset)
        if found:
            return found
    raise ValueError(f'{target} is not unique among {others}')
