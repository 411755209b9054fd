"""A video that disagrees with its annotation (frame size, frame count, frame rate) is caught
by the pipeline (an error naming the video and the qid) and by tools/data/check_dataset.py,
with the same tolerance: the data gate accepts exactly what the decoders accept (videos 1-2
frames short are clamped), reads that tolerance from the config, and fails on an empty split.
"""
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config

import mmstvg  # noqa: F401  (compat shims, before mmaction is imported)
from mmstvg.datasets import HCSTVGDataset
from mmstvg.datasets.base_stvg_dataset import STVGPipelineError
from mmstvg.testing import dump_json, hcstvg_v1_record, import_script, write_test_video
from mmstvg.utils import register_all_modules

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
check_dataset = import_script('tools/data/check_dataset.py')

H, W, T, FPS = 48, 64, 16, 8.
# name -> (frames, (H, W), fps, what check_dataset and the pipeline find, or None)
VIDEOS = {
    'good.mp4': (T, (H, W), FPS, None),
    'short2.mp4': (T - 2, (H, W), FPS, None),  # clamped by the decoders
    'short3.mp4': (T - 3, (H, W), FPS, 'truncated_video'),
    'big.mp4': (T, (2 * H, 2 * W), FPS, 'size_mismatch'),
    'long.mp4': (T + 8, (H, W), FPS, 'frame_count_mismatch'),
    'rate.mkv': (T, (H, W), 12., 'fps_mismatch'),  # mkv: no frame count in the header
}


def _record():
    # annotation: T frames of W x H at FPS, GT boxes on frames [2, 6)
    return hcstvg_v1_record(
        bbox=[[4, 4, 10, 10]] * 4,
        st_frame=3,
        img_num=T,
        caption='The grey square.',
        width=W,
        height=H,
        fps=FPS)


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('mismatch')
    (root / 'videos').mkdir()
    for name, (frames, size, fps, _) in VIDEOS.items():
        write_test_video(str(root / 'videos' / name), num_frames=frames, size=size, fps=fps)
    dump_json(root / 'ann.json', {name: _record() for name in VIDEOS})
    dump_json(root / 'empty.json', {})
    dump_json(root / 'all_invalid.json', {'good.mp4': dict(_record(), caption='  ')})
    return str(root)


def _pipeline(**decoder):
    return [
        dict(type='mmaction.PyAVInit'),
        dict(type='SampleSTVGFrames', clip_len=4, test_mode=True),
        dict(type='STVGPyAVDecode', **decoder)
    ]


def _config(data_root, tmp_path, ann='ann.json', **decoder) -> str:
    dataset = dict(
        type='HCSTVGDataset',
        data_root=data_root,
        ann_file=ann,
        data_prefix=dict(video='videos'),
        pipeline=_pipeline(**decoder),
        test_mode=True)
    cfg = Config(dict(val_dataloader=dict(batch_size=1, dataset=dataset)))
    path = str(tmp_path / f'cfg_{len(decoder)}_{osp.splitext(ann)[0]}.py')
    cfg.dump(path)
    return path


def _pipeline_failures(data_root, **decoder):
    register_all_modules()
    ds = HCSTVGDataset(
        ann_file=osp.join(data_root, 'ann.json'),
        data_prefix=dict(video=osp.join(data_root, 'videos')),
        pipeline=_pipeline(**decoder),
        test_mode=True)
    failures = {}
    for i in range(len(ds)):
        qid = ds.get_data_info(i)['qid']
        try:
            ds[i]
        except STVGPipelineError as err:
            failures[qid] = str(err)
    return failures


def test_pipeline_refuses_a_video_that_is_not_the_annotated_one(data_root):
    failures = _pipeline_failures(data_root)
    expected = {name: reason for name, (*_, reason) in VIDEOS.items() if reason}
    assert set(failures) == set(expected)
    for qid, reason in expected.items():
        msg = failures[qid]
        # the message names the query, the file and what differs
        assert f"query '{qid}'" in msg and osp.join('videos', qid) in msg, msg
        assert reason in msg or 'truncated' in msg, msg
    assert '128x96 (WxH) but the annotation says 64x48' in failures['big.mp4']
    assert '24 frames, the annotation 16' in failures['long.mp4']
    assert '12 fps, the annotation says 8 fps' in failures['rate.mkv']


@pytest.mark.parametrize('decoder', [{}, dict(max_clamp=0)])
def test_check_dataset_agrees_with_the_pipeline(data_root, tmp_path, decoder):
    report = check_dataset.main([_config(data_root, tmp_path, **decoder), '--splits', 'val'])
    found = {p['qid']: p['reason'] for p in report['splits']['val']['problems']}
    assert set(found) == set(_pipeline_failures(data_root, **decoder))
    if not decoder:  # the decoders' default: 2 frames clamped
        assert found == {n: r for n, (*_, r) in VIDEOS.items() if r}
        assert report['splits']['val']['policy']['max_clamp'] == 2
    else:  # the config's tolerance: none
        assert found['short2.mp4'] == 'truncated_video'


def test_check_dataset_fails_on_an_empty_split(data_root, tmp_path):
    cfg = _config(data_root, tmp_path, ann='empty.json')
    report = check_dataset.main([cfg, '--splits', 'val'])
    assert report['num_problems'] == 1
    problem = report['splits']['val']['problems'][0]
    assert problem['reason'] == 'empty_dataset' and 'empty.json' in problem['message']
    proc = subprocess.run(
        [sys.executable,
         osp.join(REPO, 'tools/data/check_dataset.py'), cfg, '--splits', 'val'],
        capture_output=True,
        text=True,
        env=dict(__import__('os').environ, PYTHONPATH=REPO),
        timeout=600)
    assert proc.returncode == 1
    assert 'empty_dataset' in proc.stdout and 'no valid query left in' in proc.stdout
    assert 'FAILED' in proc.stderr
    # every query skipped: the skipped records are listed with the empty split
    report = check_dataset.main(
        [_config(data_root, tmp_path, ann='all_invalid.json'), '--splits', 'val'])
    assert [p['reason']
            for p in report['splits']['val']['problems']] == ['empty_sentence', 'empty_dataset']
