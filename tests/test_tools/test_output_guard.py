"""No tool writes over one of its inputs (mmstvg.utils.path_guard): every tool that writes
files refuses, before any work, an output that is one of its inputs (under any name: '..',
symbolic or hard link) or another of its outputs; the input is left untouched."""
import argparse
import json
import os
import os.path as osp

import pytest
from mmengine.config import Config

from mmstvg.testing import import_script
from mmstvg.utils.path_guard import (OverwriteInputError, check_outputs_not_inputs,
                                     config_input_files)
from .conftest import REPO, tiny_synth_cfg

TRIVIAL_CFG = osp.join(REPO, 'configs/baselines/trivial_centre-box_synth.py')


def _load(rel_path: str):
    return import_script(osp.join(REPO, rel_path))


def _file(path, content='{"x.mp4": {}}'):
    with open(path, 'w') as f:
        f.write(content)
    return str(path)


def test_same_file_under_any_name(tmp_path):
    src = _file(tmp_path / 'ann.json')
    os.symlink(src, str(tmp_path / 'link.json'))
    os.link(src, str(tmp_path / 'hard.json'))
    (tmp_path / 'd').mkdir()
    for out in (src, str(tmp_path / 'd' / '..' / 'ann.json'), str(tmp_path / 'link.json'),
                str(tmp_path / 'hard.json'), osp.relpath(src)):
        with pytest.raises(OverwriteInputError, match='--out .* is the input --ann'):
            check_outputs_not_inputs({'--out': out}, {'--ann': src})
    with pytest.raises(OverwriteInputError, match='are the same file'):
        check_outputs_not_inputs(
            {
                '--a': str(tmp_path / 'n.json'),
                '--b': [str(tmp_path / 'm.json'),
                        str(tmp_path / 'd' / '..' / 'n.json')]
            }, {})
    check_outputs_not_inputs({
        '--out': str(tmp_path / 'new.json'),
        '--none': None
    }, {
        '--ann': src,
        '--remote': 's3://bucket/ann.json'
    })


def test_test_py_submit_and_dump_vs_annotation_and_checkpoint(tiny_synth_root, tmp_path):
    tool = _load('tools/test.py')
    cfg = tiny_synth_cfg(tiny_synth_root, str(tmp_path / 'w'))
    ann = osp.join(tiny_synth_root, 'anno_v2', 'val_v2.json')
    before = open(ann).read()
    ckpt = _file(tmp_path / 'weights.pkl', 'x')
    assert ann in config_input_files(cfg)['annotation file']

    def args(**kw):
        base = dict(
            launcher='none',
            work_dir=None,
            show=False,
            show_dir=None,
            submit=None,
            dump=None,
            cfg_options=None,
            checkpoint=ckpt,
            config=TRIVIAL_CFG,
            wait_time=0,
            allow_partial_load=False)
        return argparse.Namespace(**dict(base, **kw))

    with pytest.raises(OverwriteInputError, match='--submit .* is the input annotation'):
        tool.merge_args(cfg.copy(), args(submit=ann))
    with pytest.raises(OverwriteInputError, match='--dump .* is the input checkpoint'):
        tool.merge_args(cfg.copy(), args(dump=str(tmp_path / 'x' / '..' / 'weights.pkl')))
    tool.merge_args(cfg.copy(), args(submit=str(tmp_path / 'submit.json')))
    assert open(ann).read() == before


def test_analysis_and_conversion_tools(tmp_path):
    video, pred, ann = (str(tmp_path / n) for n in ('v.mp4', 'pred.json', 'ann.json'))
    for path in (video, pred, ann):
        _file(path)
    vis = _load('tools/analysis_tools/visualize_tube.py')
    with pytest.raises(OverwriteInputError, match='--out .* is the input --video'):
        vis.main(['--video', video, '--pred', pred, '--out', video])
    with pytest.raises(ValueError, match='suffix'):
        vis.main(['--video', video, '--pred', pred, '--out', str(tmp_path / 'o.txt')])
    with pytest.raises(ValueError, match='max-frames'):
        vis.main([
            '--video', video, '--pred', pred, '--out',
            str(tmp_path / 'o.mp4'), '--max-frames', '0'
        ])
    ev = _load('tools/analysis_tools/eval_submission.py')
    with pytest.raises(OverwriteInputError, match='--per-query .* is the input --pred'):
        ev.main(['--ann', ann, '--pred', pred, '--protocol', 'dense', '--per-query', pred])
    conv = _load('tools/model_converters/mdetr2mmstvg.py')
    ckpt = _file(tmp_path / 'mdetr.pth', 'x')
    with pytest.raises(OverwriteInputError, match='dst .* is the input src'):
        conv.main([ckpt, ckpt])
    logs = _load('tools/analysis_tools/analyze_logs.py')
    log = _file(tmp_path / 'scalars.json', '')
    with pytest.raises(OverwriteInputError, match='--out .* is the input json_logs'):
        logs.main(['plot_curve', log, '--out', log])
    for path in (video, pred, ann, ckpt):
        assert open(path).read() in ('{"x.mp4": {}}', 'x')


def test_data_tools(tmp_path):
    # generate.py into a folder that holds another dataset with the same file names
    gen = _load('tools/data/synthetic/generate.py')
    anno = tmp_path / 'hcstvg' / 'anno_v2'
    anno.mkdir(parents=True)
    real = _file(anno / 'train_v2.json', json.dumps({'55_vfjywN5CN0Y.mp4': {}}))
    with pytest.raises(OverwriteInputError, match='55_vfjywN5CN0Y.mp4'):
        gen.main(['--out-dir', str(tmp_path / 'hcstvg'), '--num-train', '1', '--num-val', '1'])
    assert json.loads(open(real).read()) == {'55_vfjywN5CN0Y.mp4': {}}
    # extract_features: an output over an input, or two videos with one output name
    ext = _load('tools/data/extract_features.py')
    videos = tmp_path / 'videos'
    videos.mkdir()
    for name in ('a.mp4', 'a.mkv'):
        _file(videos / name, 'x')
    with pytest.raises(OverwriteInputError, match='same file'):
        ext.main([
            TRIVIAL_CFG, '--videos',
            str(videos), '--out-dir',
            str(tmp_path / 'f'), '--random-init'
        ])
    (videos / 'a.mkv').unlink()
    ckpt = _file(tmp_path / 'f.h5', 'x')
    with pytest.raises(OverwriteInputError, match='--h5 .* is the input --checkpoint'):
        ext.main([
            TRIVIAL_CFG, '--videos',
            str(videos), '--out-dir',
            str(tmp_path), '--h5', 'f.h5', '--checkpoint', ckpt
        ])
    # check_dataset --out over the config
    check = _load('tools/data/check_dataset.py')
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(Config.fromfile(TRIVIAL_CFG).pretty_text)
    before = cfg.read_text()
    with pytest.raises(OverwriteInputError, match='--out .* is the input config'):
        check.main([str(cfg), '--out', str(cfg)])
    assert cfg.read_text() == before


def test_visualization_hook_never_overwrites_the_video(tmp_path):
    from mmengine.structures import BaseDataElement

    from mmstvg.engine.hooks import STVGVisualizationHook
    from mmstvg.structures import STVGDataSample
    from mmstvg.testing import write_test_video
    from mmstvg.visualization import STVGVisualizer
    video = write_test_video(str(tmp_path / 'q.mp4'), num_frames=4)
    size = osp.getsize(video)
    STVGVisualizer.get_instance('test_output_guard_vis')  # as a runner builds it
    hook = STVGVisualizationHook(draw=True, test_out_dir=str(tmp_path))  # the video folder
    sample = STVGDataSample(metainfo=dict(qid='q.mp4', filename=video, num_frames=4, fps=10.))
    sample.pred_tube = BaseDataElement(
        span=[0, 2], frame_ids=[0, 1], bboxes=[[1., 1., 5., 5.]] * 2)
    runner = argparse.Namespace(work_dir=str(tmp_path), timestamp='t')
    hook.before_test(runner)
    with pytest.raises(OverwriteInputError, match='is the input video'):
        hook.after_test_iter(runner, 0, {}, [sample])
    assert osp.getsize(video) == size
