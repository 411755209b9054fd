# Clip feature extractor for STVGFormer's dynamic branch (paper §1.2, §2.1: "clip-level visual
# features F_c from T uniformly sampled video clips by a pretrained 3D-CNN", "the Slowfast
# model pre-trained on AVA"): mmaction2's SlowFast-R50 4x16 AVA 2.1 detector backbone, applied
# to clips of 32 frames taken every 2nd frame (AVA's SampleAVAFrames(clip_len=32,
# frame_interval=2): the slow pathway sees 4 frames 16 apart, the fast one 32), both pathways
# averaged over time, the fast one pooled to the slow one's grid, concatenated: 2048 + 256 =
# 2304 channels at stride 16, pooled to 7x7. One row every 8 original frames: frame i of a
# query reads the clip centred on frame 8 * (i // 8) (LoadSTVGFeatures(frame_stride=8)), i.e.
# the T sampled frames read T clips centred within 8 frames of them.
# Choices (not in the paper): 224x224 frames (AVA's detector tests at short side 256; the
# static branch here uses short side 224), 2x2 average pooling of the 14x14 map to 7x7, the
# row stride 8 (float16 rows of 7 x 7 x 2304: 0.23 MB, about 17 MB per 20-s 30-fps video).
# Backbone: model.backbone of mmaction2's
# configs/detection/slowfast/slowfast_kinetics400-pretrained-r50_8xb16-4x16x1-20e_ava21-rgb.py;
# weights: its checkpoint (a detector: the `backbone.*` keys are loaded, the RoI head is not).
#   python tools/data/extract_features.py \
#       configs/_base_/feature_extractors/slowfast_r50_4x16_ava.py \
#       --videos data/hcstvg_v2/videos --out-dir data/hcstvg_v2/features/slowfast \
#       --checkpoint data/pretrained/slowfast_r50_4x16_ava.pth --fp16
feature_extractor = dict(
    backbone=dict(
        type='mmaction.ResNet3dSlowFast',
        pretrained=None,
        resample_rate=8,
        speed_ratio=8,
        channel_ratio=8,
        slow_pathway=dict(
            type='resnet3d',
            depth=50,
            pretrained=None,
            lateral=True,
            conv1_kernel=(1, 7, 7),
            dilations=(1, 1, 1, 1),
            conv1_stride_t=1,
            pool1_stride_t=1,
            inflate=(0, 0, 1, 1),
            spatial_strides=(1, 2, 2, 1)),
        fast_pathway=dict(
            type='resnet3d',
            depth=50,
            pretrained=None,
            lateral=False,
            base_channels=8,
            conv1_kernel=(5, 7, 7),
            conv1_stride_t=1,
            pool1_stride_t=1,
            spatial_strides=(1, 2, 2, 1))),
    clip_len=32,
    frame_interval=2,
    stride=8,
    size=224,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    out_size=(7, 7),
    out_channels=2048 + 256)
