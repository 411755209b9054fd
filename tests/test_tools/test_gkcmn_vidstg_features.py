"""`tools/train.py configs/gkcmn/gkcmn_i3d_vidstg.py` runs a training step (and `tools/test.py`
an evaluation) on a tiny generated VidSTG-format fixture: the 4 real test records of one
video with its VidOR box file, random precomputed I3D feature maps (7x7, one row per 4 frames,
as many channels as the config's feature extractor promises: 2048 for mmaction2's I3D R50)
and a tiny GloVe file, all written here. The Table 2 config (temporal ground truth given)
tests the same checkpoint with the GT span in place of the predicted one."""
import json
import os
import os.path as osp
import re
import shutil

import numpy as np
from mmengine.config import Config

from mmstvg.testing import dump_json
from .conftest import REPO
from .test_train_test_tools import _run

DATA = osp.join(REPO, 'tests', 'data', 'vidstg')
VID = '11566930393'


def _fixture(root, channels):
    records = json.load(open(osp.join(DATA, f'test_annotations_{VID}.json')))
    for split in ('train', 'val', 'test'):
        dump_json(osp.join(root, f'{split}_annotations.json'), records)
    for folder in ('training', 'validation'):
        os.makedirs(osp.join(root, 'vidor', folder))
        shutil.copy(osp.join(DATA, 'vidor', f'{VID}.json'), osp.join(root, 'vidor', folder))
    os.makedirs(osp.join(root, 'features', 'i3d'))
    rows = (records[0]['frame_count'] + 3) // 4
    rng = np.random.default_rng(0)
    feats = rng.standard_normal((rows, 7, 7, channels), dtype=np.float32).astype(np.float16)
    np.save(osp.join(root, 'features', 'i3d', f'{VID}.npy'), feats)
    words = set()
    for r in records:
        for s in r['captions'] + r['questions']:
            words.update(re.findall(r"[a-z0-9]+|[^\sa-z0-9]", s['description'].lower()))
    glove = osp.join(root, 'glove.tiny.300d.txt')
    with open(glove, 'w') as f:
        for w in sorted(words):
            f.write(w + ' ' + ' '.join(f'{v:.4f}' for v in rng.standard_normal(300)) + '\n')
    return glove


def _on_fixture(cfg, root, glove):
    """``cfg`` on the fixture: its GloVe file, small batches, no workers."""
    cfg.model.text_encoder.glove_file = glove
    cfg.model.text_encoder.vocab_file = glove
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[name]
        loader.batch_size = 2
        loader.num_workers = 0
        loader.persistent_workers = False
        loader.dataset.data_root = root
        for t in loader.dataset.pipeline:
            if t.type == 'TokenizeWords':
                t.vocab_file = glove
    return cfg


def test_gkcmn_vidstg_train_and_test(tmp_path):
    root = str(tmp_path / 'vidstg')
    os.makedirs(root)
    cfg = Config.fromfile(osp.join(REPO, 'configs/gkcmn/gkcmn_i3d_vidstg.py'))
    assert cfg.feature_channels == cfg.model.interaction.visual_channels == 2048
    glove = _fixture(root, cfg.feature_channels)
    cfg = _on_fixture(cfg, root, glove)
    cfg.train_cfg.max_epochs = 1
    cfg.param_scheduler = []
    cfg.default_hooks.logger.interval = 1
    cfg_file = str(tmp_path / 'gkcmn.py')
    cfg.dump(cfg_file)
    work = str(tmp_path / 'work')
    _run('tools/train.py', cfg_file, '--work-dir', work)
    log = open(next(p for p in sorted((tmp_path / 'work').rglob('*.log')))).read()
    match = re.search(r'Epoch\(train\) \[1\]\[(\d+)/\1\].*?loss: ([0-9.]+)', log)
    assert match, log[-3000:]
    assert 0 < float(match.group(2)) < 1e4
    for key in ('loss_heatmap', 'loss_bbox', 'loss_conf', 'loss_offset'):
        assert key in log
    out = _run('tools/test.py', cfg_file, osp.join(work, 'epoch_1.pth'), '--work-dir', work)
    # VidSTG: overall and per sentence type
    assert 'm_vIoU' in out and 'declarative' in out and 'interrogative' in out
    # Table 2: the same checkpoint with the GT span: every query's tIoU is 1
    gt_cfg = _on_fixture(
        Config.fromfile(osp.join(REPO, 'configs/gkcmn/gkcmn_i3d-gt-span_vidstg.py')), root, glove)
    gt_cfg_file = str(tmp_path / 'gkcmn_gt_span.py')
    gt_cfg.dump(gt_cfg_file)
    out = _run('tools/test.py', gt_cfg_file, osp.join(work, 'epoch_1.pth'), '--work-dir', work)
    line = [ln for ln in out.splitlines() if 'Epoch(test)' in ln and 'm_tIoU' in ln][-1]
    m_tious = re.findall(r'm_tIoU: ([0-9.]+)', line)  # overall and per sentence type
    assert len(m_tious) == 3 and all(float(v) == 1.0 for v in m_tious), line
