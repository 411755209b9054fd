# GKCMN on the synthetic benchmark, sized for 2 CPU cores, in the same budget as every
# synthetic model (configs/_base_/schedules/adamw_8e_synth.py). The I3D feature maps are
# replaced by a small randomly initialised I3D-style 3-D ResNet trained end to end on the
# 32 sampled frames (96x96 -> 6x6 maps, 64 channels), and GloVe by a randomly initialised
# embedding over the generator's word vocabulary (the synthetic sentences use its tokenizer).
_base_ = [
    '../_base_/models/gkcmn_i3d.py', '../_base_/datasets/synth_stvg.py',
    '../_base_/schedules/adamw_8e_synth.py', '../_base_/default_runtime.py'
]
embed_dims = 32
model = dict(
    text_encoder=dict(
        _delete_=True,
        type='GloVeTextEncoder',
        vocab_size=128,
        embed_dims=64,
        num_attn_layers=2,
        num_heads=4,
        hidden_dims=64,
        freeze_embedding=False),
    video_encoder=dict(
        type='VideoClipEncoder',
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
            norm_eval=False)),
    interaction=dict(visual_channels=64, text_channels=64),
    temporal_head=dict(anchor_scales=(2, 4, 8, 16, 32)))
# a checkpoint every epoch (the last 3 kept, default_runtime.py), so that an interrupted run
# resumes where it stopped; no best checkpoint: validation runs after the last epoch only
default_hooks = dict(checkpoint=dict(save_best=None), logger=dict(interval=25))
