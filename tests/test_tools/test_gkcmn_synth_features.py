"""GKCMN on extracted features of the synthetic benchmark, as configs/gkcmn/README.md
documents it ("Synthetic benchmark, on extracted features"): the extraction, the training
and the test commands run exactly as written, from a folder where data/synth_stvg is a tiny
generated benchmark. Step 1's product, the checkpoint of the end-to-end synthetic GKCMN, is
made here (that config's model with its initial weights, saved where step 1 writes it): its
training is the tests' of the synthetic configs. The extractor config's backbone is the
end-to-end model's, so that checkpoint's weights are what is extracted with."""
import glob
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmstvg.registry import MODELS
from mmstvg.testing import doc_commands, doc_sandbox, documented, run_documented
from mmstvg.utils import register_all_modules
from .conftest import REPO

DOC = 'configs/gkcmn/README.md'
E2E = 'gkcmn_r3d18-tiny_1xb8-t32-8e_synth'
FEATURES = 'gkcmn_r3d18-tiny-features_1xb8-t32-8e_synth'
EXTRACTOR = osp.join(REPO, 'configs', '_base_', 'feature_extractors', 'r3d18_tiny_synth.py')


def test_the_extractor_is_the_end_to_end_backbone():
    """The extractor builds the end-to-end model's video backbone (so that its checkpoint
    loads), with that model's frames (96x96, not normalised), and the features config reads
    what it writes (channels, row stride) into the same GKCMN without a video encoder."""
    e2e = Config.fromfile(osp.join(REPO, 'configs', 'gkcmn', f'{E2E}.py'))
    extractor = Config.fromfile(EXTRACTOR).feature_extractor
    assert extractor.backbone == e2e.model.video_encoder.backbone
    assert e2e.model.data_preprocessor.get('mean') is None
    assert extractor.mean == [0, 0, 0] and extractor.std == [1, 1, 1]
    assert tuple(e2e.train_pipeline[4].scale) == (extractor.size, extractor.size)
    feat = Config.fromfile(osp.join(REPO, 'configs', 'gkcmn', f'{FEATURES}.py'))
    load = [t for t in feat.train_dataloader.dataset.pipeline if t.type == 'LoadSTVGFeatures']
    assert load[0].channels == extractor.out_channels == feat.model.interaction.visual_channels
    assert load[0].frame_stride == extractor.stride
    expected = e2e.model.to_dict()
    expected.pop('video_encoder')
    assert feat.model.to_dict() == expected


@pytest.mark.slow
def test_documented_extract_train_test(tiny_synth_root, tmp_path):
    data = tmp_path / 'synth_stvg'  # the tiny benchmark, features written beside it here
    data.mkdir()
    for name in os.listdir(tiny_synth_root):
        os.symlink(osp.join(tiny_synth_root, name), data / name)
    sandbox = doc_sandbox(str(tmp_path / 'sandbox'), data=dict(synth_stvg=str(data)))

    # step 1's checkpoint: the end-to-end model (initial weights) where its training puts it
    register_all_modules()
    torch.manual_seed(0)
    e2e = MODELS.build(Config.fromfile(osp.join(REPO, 'configs', 'gkcmn', f'{E2E}.py')).model)
    ckpt = osp.join(sandbox, 'work_dirs', E2E, 'epoch_8.pth')
    os.makedirs(osp.dirname(ckpt))
    torch.save(dict(state_dict=e2e.state_dict(), meta=dict()), ckpt)
    # the step it stands for
    assert f'python tools/train.py configs/gkcmn/{E2E}.py' in doc_commands(DOC)

    out = run_documented(documented(DOC, 'extract_features.py', 'r3d18_tiny_synth'), sandbox)
    assert 'keys video_encoder.backbone.*' in out  # the GKCMN checkpoint's backbone
    feats = sorted(glob.glob(str(data / 'features' / 'r3d18_tiny' / '*.npy')))
    assert len(feats) == len(os.listdir(osp.join(tiny_synth_root, 'videos')))
    rows = np.load(feats[0])
    assert rows.shape == (16 // 2, 6, 6, 64)  # 16 frames, a row every 2; 96x96 -> 6x6x64

    out = run_documented(documented(DOC, 'tools/train.py', f'{FEATURES}.py'), sandbox)
    assert 'Epoch(train) [8]' in out and 'loss_heatmap' in out
    out = run_documented(documented(DOC, 'tools/test.py', f'{FEATURES}.py'), sandbox)
    assert 'Epoch(test)' in out and 'm_vIoU' in out
