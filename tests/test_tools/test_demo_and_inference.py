"""The demo, end to end: a checkpoint trained by tools/train.py (the tiny synthetic config),
and the drawn tube decoded back (the inference API itself: tests/test_apis)."""
import json
import os.path as osp

import numpy as np
import pytest

from mmstvg.datasets.synthetic import read_video
from .conftest import REPO
from .test_train_test_tools import _run

pytestmark = pytest.mark.slow
DEMO = osp.join(REPO, 'demo', 'demo_video.py')


def _redness(px):
    px = px.astype(int)
    return px[..., 0] - (px[..., 1] + px[..., 2]) // 2


def test_demo_draws_the_predicted_tube(trained, tiny_synth_root, tmp_path):
    cfg, ckpt = trained
    video = osp.join(tiny_synth_root, 'videos', 'val_00001.mp4')
    out, gif = str(tmp_path / 'out.mp4'), str(tmp_path / 'out.gif')
    log = _run(DEMO, video, 'The big red square moves left.', cfg, ckpt, '--out', out, '--gif',
               gif)
    assert 'wrote' in log
    pred = json.loads(open(str(tmp_path / 'out.json')).read())
    zoom, top = pred['canvas']['zoom'], pred['canvas']['top']
    drawn, original = read_video(out), read_video(video)
    assert len(drawn) == len(original) == pred['num_frames']
    assert osp.getsize(gif) > 0
    checked = 0
    for f, box in zip(pred['frame_ids'], pred['bboxes']):
        x1, y1, x2, y2 = (int(round(v * zoom)) for v in box)
        if x2 - x1 < 12 or y2 - y1 < 12:
            continue  # too thin to tell an edge from the inside
        xs = np.arange(x1 + 4, x2 - 4)
        # the box's top edge in the drawn canvas (a thin red line: yuv420p blurs its colour
        # over neighbouring rows, so take the reddest of the rows around it)
        rows = slice(top + y1 - 2, top + y1 + 3)
        edge = _redness(drawn[f][rows, xs]).max(0)
        zoomed = np.repeat(np.repeat(original[f], zoom, 0), zoom, 1)
        under = _redness(zoomed[y1 - 2:y1 + 3, xs]).max(0)
        assert (edge > 50).mean() > 0.8, (f, box)
        # not the video's own red: judged where the video is not red under the edge
        plain = under < 50
        if plain.sum() < 4:
            continue
        assert (edge[plain] > under[plain] + 30).mean() > 0.8, (f, box)
        checked += 1
    assert checked > 0
    assert top > 0  # the caption band sits above the frame
