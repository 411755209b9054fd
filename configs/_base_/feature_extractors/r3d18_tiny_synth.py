# Clip feature extractor for GKCMN on the synthetic benchmark (configs/gkcmn/README.md,
# "Synthetic benchmark, on extracted features"): the paper's path (§2.1, §3: features of
# short clips precomputed by a 3-D CNN, then GKCMN trained on them) at the benchmark's size.
# The backbone is the tiny I3D-style 3-D ResNet of the end-to-end synthetic GKCMN
# (configs/gkcmn/gkcmn_r3d18-tiny_1xb8-t32-8e_synth.py, `model.video_encoder.backbone`), so
# its trained checkpoint gives the weights (`video_encoder.backbone.*` keys):
#   python tools/data/extract_features.py configs/_base_/feature_extractors/r3d18_tiny_synth.py \
#       --videos data/synth_stvg/videos --out-dir data/synth_stvg/features/r3d18_tiny \
#       --checkpoint work_dirs/gkcmn_r3d18-tiny_1xb8-t32-8e_synth/epoch_8.pth
# Clips of 8 frames taken every 2nd frame, one row every 2 frames: the 32 frames the synthetic
# configs sample from a 64-frame video (every 2nd one) each read their own row, a clip of the
# sampled frames around it, as the end-to-end model's backbone sees them. 96x96 RGB frames
# (the synthetic configs' size), not normalised (the end-to-end model's data preprocessor
# has no mean / std), give 6x6 maps of 64 channels.
feature_extractor = dict(
    backbone=dict(
        type='mmaction.ResNet3d',
        depth=18,
        base_channels=16,
        num_stages=3,
        out_indices=(2, ),
        spatial_strides=(1, 2, 2),
        temporal_strides=(1, 1, 1),
        dilations=(1, 1, 1),
        conv1_stride_t=1,
        pool1_stride_t=1,
        inflate=((1, 1), (1, 1), (1, 1)),
        pretrained=None,
        pretrained2d=False,
        norm_eval=False),
    clip_len=8,  # frames per clip
    frame_interval=2,  # original frames between a clip's frames
    stride=2,  # original frames between rows (clip centres)
    size=96,  # frames resized to size x size
    mean=[0., 0., 0.],
    std=[1., 1., 1.],
    out_size=None,  # the backbone's own map: 6x6 at 96
    out_channels=64)
