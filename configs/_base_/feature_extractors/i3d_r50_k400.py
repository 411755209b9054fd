# Clip feature extractor for GKCMN (paper §2.1, §3): mmaction2's I3D ResNet-50 (Kinetics-400),
# "every 8 frames ... with stride 4" of 224x224 frames, the last convolutional map (7x7).
# The paper's I3D is the Inception-v1 I3D of Carreira & Zisserman (1024 channels); mmaction2
# has only ResNet-50 I3Ds (2048 channels). `out_channels` is what these features have: the
# GKCMN feature configs take the model's input channels and LoadSTVGFeatures' per-file check
# from it (configs/_base_/datasets/vidstg_i3d_features.py).
# Backbone: model.backbone of mmaction2's
# configs/recognition/i3d/i3d_imagenet-pretrained-r50_8xb8-32x2x1-100e_kinetics400-rgb.py
# (its configs/_base_/models/i3d_r50.py); weights: that config's Kinetics-400 checkpoint.
#   python tools/data/extract_features.py configs/_base_/feature_extractors/i3d_r50_k400.py \
#       --videos data/vidstg/videos --out-dir data/vidstg/features/i3d \
#       --checkpoint data/pretrained/i3d_r50_kinetics400.pth
feature_extractor = dict(
    backbone=dict(
        type='mmaction.ResNet3d',
        depth=50,
        pretrained=None,
        pretrained2d=False,
        conv1_kernel=(5, 7, 7),
        conv1_stride_t=2,
        pool1_stride_t=2,
        conv_cfg=dict(type='Conv3d'),
        norm_eval=False,
        inflate=((1, 1, 1), (1, 0, 1, 0), (1, 0, 1, 0, 1, 0), (0, 1, 0)),
        zero_init_residual=False),
    clip_len=8,  # frames per clip
    frame_interval=1,  # original frames between a clip's frames
    stride=4,  # original frames between rows (clip centres)
    size=224,  # frames resized to size x size
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    out_size=None,  # the backbone's own map: 7x7 at 224
    out_channels=2048)
