# GKCMN on precomputed clip features of the synthetic benchmark: the paper's path (features
# of a 3-D CNN extracted once, then GKCMN trained on them; §2.1, §3) end to end on data that
# needs no download. The features are the 6x6x64 maps of the tiny 3-D ResNet that
# gkcmn_r3d18-tiny_1xb8-t32-8e_synth.py trains end to end, extracted with
# configs/_base_/feature_extractors/r3d18_tiny_synth.py (commands: configs/gkcmn/README.md,
# "Synthetic benchmark, on extracted features"). Same model, text encoder and budget as that
# config, without its video encoder.
_base_ = [
    '../_base_/models/gkcmn_i3d.py', '../_base_/datasets/synth_stvg_features.py',
    '../_base_/schedules/adamw_8e_synth.py', '../_base_/default_runtime.py'
]
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
    # the model reads maps of the channel count of the dataset config's feature extractor
    interaction=dict(visual_channels={{_base_.feature_channels}}, text_channels=64),
    temporal_head=dict(anchor_scales=(2, 4, 8, 16, 32)))
# a checkpoint every epoch (the last 3 kept, default_runtime.py), so that an interrupted run
# resumes where it stopped; no best checkpoint: validation runs after the last epoch only
default_hooks = dict(checkpoint=dict(save_best=None), logger=dict(interval=25))
