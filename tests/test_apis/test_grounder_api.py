"""init_grounder / inference_grounder with a real (tiny, untrained) grounder: the synthetic
baseline config shrunk by mmstvg.testing, on generated videos of several containers."""
import json
import os.path as osp

import numpy as np
import pytest
import torch

from mmstvg.apis import STVGPrediction, inference_grounder, init_grounder
from mmstvg.datasets.synthetic import read_video, write_video
from mmstvg.registry import MODELS
from mmstvg.testing import generate_tiny_synth, tiny_synth_cfg
from mmstvg.utils.video_io import probe_video


@pytest.fixture(scope='module')
def synth(tmp_path_factory):
    """``(data_root, config)``: a tiny synthetic benchmark and the tiny baseline on it."""
    root = generate_tiny_synth(
        str(tmp_path_factory.mktemp('api_synth')), num_train=1, num_val=3, num_test=1)
    return root, tiny_synth_cfg(root, str(tmp_path_factory.mktemp('work')))


def _queries(root):
    ann = json.load(open(osp.join(root, 'anno_v2', 'val_v2.json')))
    return ([osp.join(root, 'videos', name)
             for name in ann], [rec['English'] for rec in ann.values()])


def test_init_grounder(synth, tmp_path):
    root, cfg = synth
    model = init_grounder(cfg)
    assert not model.training and callable(model.test_pipeline)
    model.cfg.model.temporal_head.score_thr = 0.9  # the model keeps its own copy
    assert cfg.model.temporal_head.score_thr == 0.5
    # cfg_options are merged before building
    model = init_grounder(cfg, cfg_options={'model.temporal_head.score_thr': 0.7})
    assert model.temporal_head.score_thr == 0.7
    # a checkpoint's weights replace the initial ones
    torch.manual_seed(1)
    other = MODELS.build(cfg.model)
    ckpt = str(tmp_path / 'other.pth')
    torch.save(dict(state_dict=other.state_dict(), meta=dict()), ckpt)
    loaded = init_grounder(cfg, ckpt)
    for (name, got), want in zip(loaded.state_dict().items(), other.state_dict().values()):
        torch.testing.assert_close(got, want, msg=name)
    # (and they are not what the config initialises)
    assert any(not torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                     other.state_dict().values()))
    with pytest.raises(FileNotFoundError):
        init_grounder(str(tmp_path / 'missing.py'))
    no_pipeline = cfg.copy()
    for key in ('test_dataloader', 'val_dataloader', 'test_pipeline'):
        no_pipeline.pop(key, None)
    with pytest.raises(KeyError, match='no test pipeline'):
        init_grounder(no_pipeline)


def test_batch_inference_equals_one_by_one(synth):
    root, cfg = synth
    videos, sentences = _queries(root)
    assert len(set(sentences)) > 1
    model = init_grounder(cfg)
    single = [inference_grounder(model, v, s) for v, s in zip(videos, sentences)]
    for batch_size in (2, 3):
        batched = inference_grounder(model, videos, sentences, batch_size=batch_size)
        assert len(batched) == len(single)
        for a, b in zip(batched, single):
            assert (a.video, a.sentence, a.span) == (b.video, b.sentence, b.span)
            np.testing.assert_array_equal(a.frame_ids, b.frame_ids)
            np.testing.assert_allclose(a.bboxes, b.bboxes, atol=1e-3)
            np.testing.assert_allclose(a.frame_times, b.frame_times)


def test_inference_on_any_container(synth, tmp_path):
    root, cfg = synth
    src = _queries(root)[0][0]
    frames = read_video(src)
    # other containers / codecs, another frame rate and size (odd number of frames too)
    mkv, avi = str(tmp_path / 'clip.mkv'), str(tmp_path / 'clip.avi')
    write_video(mkv, frames[:15], fps=25)
    longer = np.concatenate([frames, frames[:5]])  # 21 frames
    write_video(avi, np.repeat(np.repeat(longer, 2, axis=1), 3, axis=2), fps=12.5, codec='mpeg4')
    assert probe_video(mkv).meta() == dict(num_frames=15, fps=25.0, height=64, width=64)
    assert probe_video(avi).num_frames == 21 and probe_video(avi).width == 192
    model = init_grounder(cfg)
    preds = inference_grounder(
        model, [src, mkv, avi], ['The red square moves left.'] * 3, batch_size=2)
    for pred, n, (h, w), fps in zip(preds, (16, 15, 21), ((64, 64), (64, 64), (128, 192)),
                                    (8.0, 25.0, 12.5)):
        assert isinstance(pred, STVGPrediction)
        assert pred.num_frames == n and pred.size == (h, w) and pred.fps == fps
        start, end = pred.span
        assert 0 <= start < end <= n
        assert pred.span_seconds == pytest.approx((start / fps, end / fps))
        np.testing.assert_array_equal(pred.frame_ids, np.arange(start, end))
        assert pred.bboxes.shape == (end - start, 4)
        assert (pred.bboxes[:, 2] <= w + 1e-3).all() and (pred.bboxes[:, 3] <= h + 1e-3).all()
    with pytest.raises(ValueError, match='empty'):
        inference_grounder(model, src, '   ')
    with pytest.raises(FileNotFoundError):
        inference_grounder(model, str(tmp_path / 'missing.mp4'), 'a sentence')
    with pytest.raises(ValueError, match='2 videos but 1 sentences'):
        inference_grounder(model, [src, mkv], ['a sentence'])
    with pytest.raises(TypeError, match='one video and one sentence'):
        inference_grounder(model, src, ['a sentence'])
