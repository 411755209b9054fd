# The per-frame baseline on the synthetic benchmark, sized for 2 CPU cores (<= 10 min):
# the first two stages of ResNet-18 at 1/4 width (16 base channels; stride 8, so a 12x12 map
# at 96x96), a 2-layer randomly initialised RoBERTa over the generator's word-level
# vocabulary, 32 frames at 96x96, 8 epochs of 1,000 queries.
_base_ = [
    '../_base_/models/baseline_r18.py', '../_base_/datasets/synth_stvg.py',
    '../_base_/schedules/adamw_8e_synth.py', '../_base_/default_runtime.py'
]

embed_dims = 64
model = dict(
    backbone=dict(
        base_channels=16, num_stages=2, strides=(1, 2), dilations=(1, 1), out_indices=(1, )),
    text_encoder=dict(
        _delete_=True,
        type='HFTextEncoder',
        config=dict(
            model_type='roberta',
            vocab_size=128,
            hidden_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=128,
            max_position_embeddings=40,
            hidden_dropout_prob=0.0,
            attention_probs_dropout_prob=0.0,
            pad_token_id=0),
        out_channels=embed_dims,
        pooling='mean'),
    neck=dict(in_channels=32, text_channels=embed_dims, embed_dims=embed_dims),
    temporal_neck=dict(
        in_channels=embed_dims,
        text_channels=embed_dims,
        embed_dims=embed_dims,
        dilations=(1, 2, 4)),
    spatial_head=dict(in_channels=embed_dims, hidden_dims=embed_dims),
    temporal_head=dict(in_channels=embed_dims, hidden_dims=embed_dims),
    frame_chunk=None)

# a checkpoint every epoch (the last 3 kept, default_runtime.py), so that an interrupted run
# resumes where it stopped; no best checkpoint: validation runs after the last epoch only
default_hooks = dict(checkpoint=dict(save_best=None), logger=dict(interval=25))
