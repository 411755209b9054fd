"""tools/data/extract_features.py: clip feature maps with a tiny random mmaction2 backbone,
in the layout that LoadSTVGFeatures(frame_stride=stride) reads."""
import os
import os.path as osp
import sys

import numpy as np
import torch

from .conftest import REPO
from .test_train_test_tools import _run

sys.path.insert(0, osp.join(REPO, 'tools', 'data'))
import extract_features  # noqa: E402

BACKBONE = """backbone = dict(type='mmaction.ResNet3d', depth=18, base_channels=8, num_stages=2,
    out_indices=(1, ), spatial_strides=(1, 2), temporal_strides=(1, 1), dilations=(1, 1),
    conv1_stride_t=1, pool1_stride_t=1, inflate=((0, 0), (1, 1)), pretrained=None,
    pretrained2d=False)
"""


def test_clip_indices():
    inds = extract_features.clip_indices(10, clip_len=4, stride=4)
    assert inds.tolist() == [[0, 0, 0, 1], [2, 3, 4, 5], [6, 7, 8, 9]]


def test_extract_and_load(tiny_synth_root, tmp_path):
    from mmstvg.datasets.transforms import LoadSTVGFeatures
    cfg = tmp_path / 'tiny_i3d.py'
    cfg.write_text(BACKBONE)
    torch.manual_seed(0)
    model = extract_features.build_backbone(str(cfg))
    ckpt = tmp_path / 'tiny.pth'
    torch.save({'state_dict': {'backbone.' + k: v for k, v in model.state_dict().items()}},
               ckpt)
    videos = osp.join(tiny_synth_root, 'videos')
    out_dir = tmp_path / 'feats'
    _run('tools/data/extract_features.py', str(cfg), '--videos', videos, '--out-dir',
         str(out_dir), '--checkpoint', str(ckpt), '--size', '64', '--clip-len', '8',
         '--stride', '4', '--device', 'cpu')
    names = sorted(os.listdir(out_dir))
    assert names and all(n.endswith('.npy') for n in names)
    assert len(names) == len([v for v in os.listdir(videos) if v.endswith('.mp4')])
    path = osp.join(out_dir, names[0])
    feats = np.load(path)
    frames = extract_features.read_frames(osp.join(videos, names[0][:-4] + '.mp4'), 64)
    assert feats.shape == (int(np.ceil(len(frames) / 4)), 8, 8, 16)
    # row 1 is the clip centred on frame 4, through the same backbone weights
    clip = torch.from_numpy(frames[extract_features.clip_indices(len(frames), 8, 4)[1]])
    clip = clip.permute(3, 0, 1, 2)[None].float()
    mean = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1, 1)
    std = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1, 1)
    with torch.no_grad():
        expected = model((clip - mean) / std).mean(2)[0].permute(1, 2, 0).numpy()
    np.testing.assert_allclose(feats[1], expected, rtol=1e-4, atol=1e-4)
    # LoadSTVGFeatures reads row i // 4 for frame i
    out = LoadSTVGFeatures(frame_stride=4).transform(
        dict(feature_path=path, frame_inds=np.array([0, 5, 6, 15]), qid='q'))
    np.testing.assert_array_equal(out['features'], feats[[0, 1, 1, 3]])
