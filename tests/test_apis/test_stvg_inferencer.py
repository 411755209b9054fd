"""STVGInferencer on a tiny model (the synthetic baseline config, shrunk, random weights) and
rendered videos: batches over many pairs give what inference_grounder gives one by one, the
drawn videos and prediction files are written, weights come from a file, a published URL
(hash checked) or a metafile name, and what cannot be loaded is refused with the reason."""
import copy
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

import mmstvg.apis.stvg_inferencer as inferencer_module
from mmstvg.apis import STVGInferencer, inference_grounder, init_grounder
from mmstvg.datasets.synthetic import read_video
from mmstvg.registry import MODELS
from mmstvg.testing import generate_tiny_synth, import_script, tiny_synth_cfg, write_test_video
from mmstvg.utils import register_all_modules

SENTENCE = 'The big red square moves left.'


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    """(config file, checkpoint with its config in meta, synthetic root, videos)."""
    tmp = tmp_path_factory.mktemp('inferencer')
    root = generate_tiny_synth(str(tmp / 'synth'), num_train=2, num_val=2, num_test=1)
    cfg = tiny_synth_cfg(root, str(tmp / 'work'))
    cfg_file = str(tmp / 'tiny.py')
    cfg.dump(cfg_file)
    register_all_modules()
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(cfg.model))
    ckpt = str(tmp / 'tiny.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict(cfg=cfg.pretty_text)), ckpt)
    videos = [
        osp.join(root, 'videos', 'val_00000.mp4'),
        write_test_video(str(tmp / 'ramp.mp4'), num_frames=20, size=(48, 64)),
        osp.join(root, 'videos', 'val_00001.mp4')
    ]
    return dict(cfg=cfg_file, ckpt=ckpt, root=root, videos=videos, tmp=tmp)


def _same(a, b):
    assert a['span'] == list(b.span) and a['num_frames'] == b.num_frames
    np.testing.assert_allclose(a['bboxes'], b.bboxes, atol=1e-4)


def test_batches_of_pairs_give_what_inference_grounder_gives(tiny):
    inferencer = STVGInferencer(tiny['cfg'], weights=tiny['ckpt'], device='cpu')
    sentences = [SENTENCE, 'The small blue circle moves right.', 'a thing']
    pairs = [dict(video=v, sentence=s) for v, s in zip(tiny['videos'], sentences)]
    result = inferencer(pairs, batch_size=2)
    assert result['visualization'] == []
    model = init_grounder(tiny['cfg'], tiny['ckpt'])
    for i, (pair, pred) in enumerate(zip(pairs, result['predictions'])):
        assert pred['index'] == i and pred['video'] == pair['video']
        _same(pred, inference_grounder(model, pair['video'], pair['sentence']))
    # the other input forms: tuples, one pair, videos with texts= (one for all, or one each)
    by_tuple = inferencer([(v, s) for v, s in zip(tiny['videos'], sentences)])
    assert by_tuple['predictions'] == result['predictions']
    one = inferencer((tiny['videos'][1], sentences[1]))['predictions']
    assert len(one) == 1 and one[0]['span'] == result['predictions'][1]['span']
    texts = inferencer(tiny['videos'], texts=sentences, batch_size=3)['predictions']
    assert [p['span'] for p in texts] == [p['span'] for p in result['predictions']]
    same_text = inferencer(tiny['videos'][:2], texts=SENTENCE)['predictions']
    assert [p['sentence'] for p in same_text] == [SENTENCE, SENTENCE]
    samples = inferencer(pairs[:1], return_datasamples=True)['predictions']
    assert hasattr(samples[0], 'pred_tube')


def test_visualization_and_prediction_files(tiny, tmp_path):
    inferencer = STVGInferencer(tiny['cfg'], weights=tiny['ckpt'])
    video = tiny['videos'][1]
    result = inferencer([(video, SENTENCE), (tiny['videos'][0], SENTENCE)],
                        out_dir=str(tmp_path),
                        draw_gif=True)
    assert result['visualization'] == [
        str(tmp_path / 'vis' / '0_ramp.mp4'),
        str(tmp_path / 'vis' / '1_val_00000.mp4')
    ]
    drawn = read_video(result['visualization'][0])
    assert len(drawn) == 20  # every frame of the video, drawn
    canvas = result['predictions'][0]['canvas']
    assert drawn.shape[1] > 48 * canvas['zoom']  # caption and timeline around the frame
    assert osp.getsize(tmp_path / 'vis' / '0_ramp.gif') > 0
    saved = json.load(open(tmp_path / 'preds' / '0_ramp.json'))
    assert saved == json.loads(json.dumps(result['predictions'][0]))


def test_weights_from_a_published_url_and_from_the_checkpoint_config(tiny, tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, '_hub_dir', str(tmp_path / 'hub'))
    publish = import_script('tools/model_converters/publish_model.py')
    published = publish.process_checkpoint(tiny['ckpt'], str(tmp_path / 'rel' / 'tiny.pth'))
    url = 'file://' + published['path']
    inferencer = STVGInferencer(tiny['cfg'], weights=url)
    cached = tmp_path / 'hub' / 'checkpoints' / osp.basename(published['path'])
    assert cached.is_file()
    reference = init_grounder(tiny['cfg'], tiny['ckpt'])
    for key, value in reference.state_dict().items():
        assert torch.equal(inferencer.model.state_dict()[key], value), key
    # a file whose content does not match the hash in its name is refused
    bad = tmp_path / 'rel' / 'tiny-0000beef.pth'
    bad.write_bytes(open(published['path'], 'rb').read())
    with pytest.raises(RuntimeError, match='invalid hash value|does not start with'):
        STVGInferencer(tiny['cfg'], weights='file://' + str(bad))
    # no model: the config saved in the checkpoint's meta
    from_meta = STVGInferencer(None, weights=tiny['ckpt'])
    pred = from_meta((tiny['videos'][0], SENTENCE))['predictions'][0]
    _same(pred, inference_grounder(reference, tiny['videos'][0], SENTENCE))


def test_models_by_metafile_name(tmp_path, monkeypatch):
    video = write_test_video(str(tmp_path / 'v.mp4'), num_frames=10)
    trivial = STVGInferencer('trivial_centre-box_synth')  # no parameters: no weights
    (pred, ) = trivial((video, SENTENCE))['predictions']
    assert pred['span'] == [0, 10]
    assert 'trivial_centre-box_synth' in STVGInferencer.list_models('trivial')
    with pytest.raises(ValueError, match='neither a config file nor a model'):
        STVGInferencer('no_such_model')
    with pytest.raises(ValueError, match='no checkpoint of it is published'):
        STVGInferencer('bm_r3d18-tiny_1xb8-t32-8e_synth')

    # a ported model whose Weights are still its authors' file: refused, naming the converter
    real = inferencer_module.metafile_models

    def with_port(folder=None):
        entries = real(folder)
        entry = dict(next(m for m in entries if m['Name'].startswith('bm_r3d18-tiny')))
        url = 'https://authors.example/bm.pth'
        entry.update(
            Name='ported_bm',
            Weights=url,
            **{
                'Converted From':
                dict(Weights=url, Code='https://example.org/code', Converter='tools/x2mmstvg.py')
            })
        return entries + [entry]

    monkeypatch.setattr(inferencer_module, 'metafile_models', with_port)
    with pytest.raises(ValueError, match='authors\' checkpoint .*tools/x2mmstvg.py'):
        STVGInferencer('ported_bm')


def test_bad_inputs_are_refused_before_any_work(tiny):
    inferencer = STVGInferencer('trivial_centre-box_synth')
    video = tiny['videos'][1]
    with pytest.raises(ValueError, match='2 videos but 1 texts'):
        inferencer([video, video], texts=['one'])
    with pytest.raises(TypeError, match='expected dict\\(video=..., sentence=...\\)'):
        inferencer([dict(video=video)])
    with pytest.raises(FileNotFoundError, match='missing.mp4'):
        inferencer([(video, 'a'), ('missing.mp4', 'b')])
    with pytest.raises(ValueError, match='empty'):
        inferencer((video, ' '))
    with pytest.raises(ValueError, match='batch_size'):
        inferencer((video, 'a'), batch_size=0)
    with pytest.raises(ValueError, match='unknown argument'):
        inferencer((video, 'a'), colour='red')


def test_config_object_with_overrides(tiny):
    cfg = Config.fromfile(tiny['cfg'])
    inferencer = STVGInferencer(
        cfg, weights=tiny['ckpt'], cfg_options={'model.temporal_head.score_thr': 0.99})
    assert inferencer.model.temporal_head.score_thr == 0.99
    assert cfg.model.temporal_head.score_thr != 0.99  # the caller's config is not changed


def test_built_from_the_inferencer_registry(tiny):
    """As mmaction2's inferencers: ``INFERENCERS.build`` by class name or by task name."""
    from mmstvg.registry import INFERENCERS
    for name in ('STVGInferencer', 'spatio-temporal-video-grounding'):
        inferencer = INFERENCERS.build(dict(type=name, model=tiny['cfg'], weights=tiny['ckpt']))
        assert isinstance(inferencer, STVGInferencer)
