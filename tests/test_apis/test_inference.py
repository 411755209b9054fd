"""The inference API on generated videos, with weight-free predictors (fast): seconds from
the frame timestamps (variable frame rates), arguments checked before any work."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

import mmstvg.apis.inference as inference_module
from mmstvg.apis import inference_grounder, init_grounder
from mmstvg.models.grounders.trivial_grounder import TrivialGrounder
from mmstvg.registry import MODELS
from mmstvg.testing import VFR_TIMESTAMPS, write_test_video, write_vfr_video

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TRIVIAL_CFG = osp.join(REPO, 'configs/baselines/trivial_centre-box_synth.py')


@MODELS.register_module(force=True)
class FixedSpanGrounder(TrivialGrounder):
    """The trivial predictor with a fixed span (a prediction inside the video)."""

    def __init__(self, span=(6, 10), **kwargs) -> None:
        super().__init__(**kwargs)
        self.span = tuple(int(v) for v in span)

    def predict(self, inputs, data_samples):
        for sample in super().predict(inputs, data_samples):
            box = sample.pred_tube.bboxes[:1]
            frame_ids = torch.arange(*self.span)
            sample.pred_tube = self.make_pred_tube(self.span, frame_ids,
                                                   box.expand(len(frame_ids), 4).clone())
        return data_samples


def _model(span=(6, 10), decode=False):
    cfg = Config.fromfile(TRIVIAL_CFG)
    cfg.model = dict(type='FixedSpanGrounder', span=span)
    if decode:  # the video goes through the decoder and its checks against the data_info
        cfg.test_dataloader.dataset.pipeline = [
            dict(type='mmaction.PyAVInit'),
            dict(type='SampleSTVGFrames', clip_len=4, test_mode=True),
            dict(type='STVGPyAVDecode'),
            dict(type='LoadTubeTargets'),
            dict(type='PackSTVGInputs')
        ]
    return init_grounder(cfg)


@pytest.mark.parametrize('suffix,decode', [('.mp4', False), ('.mp4', True), ('.mkv', True)])
def test_span_seconds_come_from_the_frame_timestamps(tmp_path, suffix, decode):
    vfr = write_vfr_video(str(tmp_path / f'vfr{suffix}'))
    pred = inference_grounder(_model((6, 10), decode), vfr, 'the red square')
    assert pred.span == (6, 10) and pred.is_vfr
    # frames 6..9 are shown from 0.525 s; frame 10 starts at 0.625 s
    assert pred.span_seconds == pytest.approx((0.525, 0.625), abs=1e-3)
    np.testing.assert_allclose(pred.frame_times, VFR_TIMESTAMPS[6:10], atol=1e-3)
    # what frame / average-fps would have said (the old behaviour) is far off
    old = (6 / pred.fps, 10 / pred.fps)
    assert max(abs(a - b) for a, b in zip(old, pred.span_seconds)) > 0.07
    info = pred.to_dict()
    assert info['is_vfr'] and len(info['frame_times']) == 4
    # constant frame rate: the timestamps equal frame / fps
    cfr = write_test_video(str(tmp_path / 'cfr.mkv'), num_frames=12, fps=8)
    pred = inference_grounder(_model((2, 5)), cfr, 'the red square')
    assert not pred.is_vfr and pred.fps == pytest.approx(8)
    assert pred.span_seconds == pytest.approx((2 / 8, 5 / 8), abs=1e-3)


def test_arguments_are_checked_before_any_work(tmp_path, monkeypatch):
    video = write_test_video(str(tmp_path / 'v.mp4'), num_frames=4)
    model = _model((0, 2))

    def no_work(*args, **kwargs):
        raise AssertionError('a video was read before the arguments were checked')

    monkeypatch.setattr(inference_module, 'probe_video', no_work)
    for batch_size in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match='batch_size must be an integer >= 1'):
            inference_grounder(model, [video], ['a sentence'], batch_size=batch_size)
    with pytest.raises(TypeError, match='sentence for .*v.mp4 must be a string, got int'):
        inference_grounder(model, [video, video], ['fine', 3])
    with pytest.raises(ValueError, match='empty'):
        inference_grounder(model, [video, video], ['fine', '  '])
    with pytest.raises(FileNotFoundError, match='query 1: .*missing.mp4'):
        inference_grounder(model, [video, str(tmp_path / 'missing.mp4')], ['a', 'b'])
    with pytest.raises(TypeError, match='video must be a file path'):
        inference_grounder(model, [video, 7], ['a', 'b'])
    with pytest.raises(ValueError, match='no query'):
        inference_grounder(model, [], [])
