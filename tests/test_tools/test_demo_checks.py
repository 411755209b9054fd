"""demo/demo_video.py with a weight-free predictor (fast): every argument checked before the
model is loaded, and the source timing kept (variable frame rates) in the drawn video, the
GIF and the prediction JSON."""
import json
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmstvg.testing import VFR_TIMESTAMPS, import_script, write_test_video, write_vfr_video
from mmstvg.utils.path_guard import OverwriteInputError
from mmstvg.utils.video_io import probe_video
from .conftest import REPO

TRIVIAL_CFG = osp.join(REPO, 'configs/baselines/trivial_centre-box_synth.py')


def _load_demo():
    return import_script(osp.join(REPO, 'demo', 'demo_video.py'))


@pytest.fixture
def demo(monkeypatch):
    return _load_demo()


@pytest.fixture
def no_model(demo, monkeypatch):
    """The demo module with a model loader that fails the test when reached."""

    def fail(*args, **kwargs):
        raise AssertionError('the model was loaded before the arguments were checked')

    monkeypatch.setattr(demo, 'init_grounder', fail)
    return demo


@pytest.mark.parametrize('extra,error,match', [
    (['--out', '{tmp}/x.txt'], ValueError, r"'\.txt'"),
    (['--out', '{tmp}/x.mp4', '--gif', '{tmp}/x.mkv'], ValueError, 'must end with .gif'),
    (['--out', '{tmp}/x.mp4', '--out-json', '{tmp}/x.txt'], ValueError, 'must end with .json'),
    (['--out', '{tmp}/x.mp4', '--max-frames', '0'], ValueError, 'max-frames must be >= 1'),
    (['--out', '{tmp}/x.mp4', '--max-frames', '-3'], ValueError, 'max-frames must be >= 1'),
    (['--out', '{video}'], OverwriteInputError, 'refusing to overwrite an input'),
    (['--out', '{tmp}/sub/../v.mp4'], OverwriteInputError, 'is the input video'),
    (['--out', '{tmp}/x.mp4', '--out-json', '{cfg}'], ValueError, 'must end with .json'),
    (['--out', '{tmp}/x.mp4', '--gif', '{tmp}/x.gif', '--out-json', '{tmp}/x.mp4'
      ], ValueError, 'must end with .json'),
    (['--out', '{tmp}/vfr.avi'], ValueError, 'variable frame rate'),
])
def test_bad_arguments_fail_before_the_model_loads(no_model, tmp_path, extra, error, match):
    video = write_test_video(str(tmp_path / 'v.mp4'), num_frames=4)
    if 'vfr' in ''.join(extra):
        video = write_vfr_video(str(tmp_path / 'v.mp4'))
    (tmp_path / 'sub').mkdir()
    argv = [video, 'the square', TRIVIAL_CFG
            ] + [a.format(tmp=tmp_path, video=video, cfg=TRIVIAL_CFG) for a in extra]
    with pytest.raises(error, match=match):
        no_model.main(argv)
    assert osp.getsize(video) > 0


def test_outputs_must_differ_and_inputs_exist(no_model, tmp_path):
    video = write_test_video(str(tmp_path / 'v.mp4'), num_frames=4)
    out = str(tmp_path / 'o.mp4')
    with pytest.raises(OverwriteInputError, match='the input config'):
        # a json config overwritten by the prediction file
        cfg = tmp_path / 'c.json'
        cfg.write_text('{}')
        no_model.main([video, 's', str(cfg), '--out', out, '--out-json', str(cfg)])
    with pytest.raises(FileNotFoundError, match='checkpoint'):
        no_model.main([video, 's', TRIVIAL_CFG, str(tmp_path / 'no.pth'), '--out', out])
    with pytest.raises(FileNotFoundError, match='video'):
        no_model.main([str(tmp_path / 'no.mp4'), 's', TRIVIAL_CFG, '--out', out])
    with pytest.raises(ValueError, match='sentence is empty'):
        no_model.main([video, '  ', TRIVIAL_CFG, '--out', out])


def test_demo_keeps_the_source_timing(demo, tmp_path):
    video = write_vfr_video(str(tmp_path / 'vfr.mp4'), size=(64, 64))
    out, gif = str(tmp_path / 'out.mp4'), str(tmp_path / 'out.gif')
    pred = demo.main([video, 'the grey square', TRIVIAL_CFG, '--out', out, '--gif', gif])
    assert pred.is_vfr and pred.span == (0, len(VFR_TIMESTAMPS))
    written = probe_video(out)
    assert written.num_frames == len(VFR_TIMESTAMPS) and written.is_vfr
    np.testing.assert_allclose(written.timestamps, VFR_TIMESTAMPS, atol=2e-3)
    with Image.open(gif) as img:
        durations = []
        for k in range(img.n_frames):
            img.seek(k)
            durations.append(img.info['duration'])
    # 10 fps, then 40 fps (25 ms in GIF's 10 ms steps: 20 and 30 alternate), total kept
    assert durations[:5] == [100] * 5 and set(durations[5:11]) == {20, 30}
    assert sum(durations[:11]) == 650
    info = json.loads(open(str(tmp_path / 'out.json')).read())
    np.testing.assert_allclose(info['frame_times'], VFR_TIMESTAMPS, atol=1e-3)
    assert info['span_seconds'][0] == 0 and info['is_vfr']
    assert info['span_seconds'][1] == pytest.approx(probe_video(video).duration)
    # every other frame: the thinned video keeps the source times of its frames
    thin = str(tmp_path / 'thin.mp4')
    demo.main([video, 'the grey square', TRIVIAL_CFG, '--out', thin, '--max-frames', '6'])
    np.testing.assert_allclose(probe_video(thin).timestamps, VFR_TIMESTAMPS[::2], atol=2e-3)
