"""tools/analysis_tools/analyze_results.py: the best and the worst queries of a test run,
ranked by the test metric's own per-query scores, from a --dump pickle or from a submission
of the config's test split (the two agree), drawn as videos and montages."""
import json
import os
import os.path as osp

import pytest

from mmstvg.testing import import_script
from .test_train_test_tools import _run

pytestmark = pytest.mark.slow
analyze_results = import_script('tools/analysis_tools/analyze_results.py')


def test_best_and_worst_queries(trained, tmp_path):
    cfg_file, ckpt = trained
    dump, sub = str(tmp_path / 'results.pkl'), str(tmp_path / 'sub.json')
    out = _run('tools/test.py', cfg_file, ckpt, '--work-dir', str(tmp_path / 'test'), '--dump',
               dump, '--submit', sub)
    logged = [
        json.loads(line) for root, _, files in os.walk(tmp_path / 'test') for f in files
        if f.endswith('.json') and f[0].isdigit() for line in open(osp.join(root, f))
    ][-1]
    assert 'm_vIoU' in out

    report = analyze_results.main([cfg_file, dump, str(tmp_path / 'vis'), '--topk', '2'])
    assert report['num_queries'] == 4
    for key in ('m_tIoU', 'm_vIoU', 'vIoU@0.3', 'vIoU@0.5'):  # the metric tools/test.py logs
        assert report['metrics'][key] == pytest.approx(logged[key], abs=1e-4), key
    good, bad = report['good'], report['bad']
    assert [r['rank'] for r in good] == [1, 2] and len(bad) == 2
    assert good[0]['vIoU'] >= good[1]['vIoU'] >= bad[1]['vIoU'] >= bad[0]['vIoU']
    assert {r['qid'] for r in good}.isdisjoint({r['qid'] for r in bad})  # 4 queries
    for row in good + bad:
        assert [osp.splitext(f)[1] for f in row['files']] == ['.mp4', '.png']
        assert all(osp.getsize(f) > 0 for f in row['files'])
        assert row['sentence'] and osp.isfile(row['video'])
    name = osp.basename(good[0]['files'][0])  # <rank>_<qid without .mp4>_<vIoU>.mp4
    assert name == f'01_{good[0]["qid"][:-4]}_{good[0]["vIoU"]:.3f}.mp4'
    saved = json.load(open(tmp_path / 'vis' / 'analysis.json'))
    assert saved['good'][0]['qid'] == good[0]['qid']

    # the submission of the same run, with the GT of the config's test split: same ranking
    again = analyze_results.main(
        [cfg_file, sub,
         str(tmp_path / 'vis_sub'), '--topk', '2', '--out-suffix', '.png'])
    assert [(r['qid'], round(r['vIoU'], 4)) for r in again['good'] + again['bad']] == \
        [(r['qid'], round(r['vIoU'], 4)) for r in good + bad]
    assert all(len(r['files']) == 1 and r['files'][0].endswith('.png') for r in again['good'])
    # another protocol on request
    other = analyze_results.main([
        cfg_file, dump,
        str(tmp_path / 'vis_official'), '--topk', '1', '--out-suffix', '.png', '--protocol',
        'hcstvg_official'
    ])
    assert other['protocol'] == 'HCSTVGOfficialProtocol'
