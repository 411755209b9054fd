# STCAT sized for the synthetic benchmark on 2 CPU cores, in the per-frame baseline's budget
# (configs/baselines/baseline_r18-c16-s8_1xb8-t32-8e_synth.py: same data, frames, resolution,
# batch, epochs, schedule): the baseline's image encoder (first three stages of a 1/4-width
# ResNet-18, 12x12 maps), its 2-layer random RoBERTa, d = 64, 2 encoder and 2 + 2 decoder
# layers, no pre-training anywhere and no dropout (as the other synthetic configs). Everything
# else is STCAT's: frame / video tokens, query templates, anchor refinement, time encoding,
# actionness, guided attention, auxiliary losses, loss weights, start/end decoding.
_base_ = [
    '../_base_/models/stcat_r101_roberta.py', '../_base_/datasets/synth_stvg.py',
    '../_base_/schedules/adamw_8e_synth.py', '../_base_/default_runtime.py'
]
embed_dims = 64
num_layers = 2
model = dict(
    data_preprocessor=dict(text_pad_token_id=0),  # the generator's tokenizer pads with 0
    image_backbone=dict(
        _delete_=True,
        type='mmdet.ResNet',
        depth=18,
        base_channels=16,
        num_stages=3,
        strides=(1, 2, 2),
        dilations=(1, 1, 1),
        out_indices=(2, ),
        norm_eval=False),
    image_channels=64,
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
        proj_norm=True),
    position_encoding=dict(num_feats=embed_dims // 2),
    encoder=dict(
        embed_dims=embed_dims,
        num_layers=num_layers,
        num_heads=4,
        feedforward_channels=2 * embed_dims,
        dropout=0.0),
    decoder=dict(
        embed_dims=embed_dims,
        num_layers=num_layers,
        num_heads=4,
        feedforward_channels=2 * embed_dims,
        dropout=0.0,
        box_reference='attention'),
    spatial_head=dict(in_channels=embed_dims, hidden_dims=embed_dims),
    temporal_head=dict(in_channels=embed_dims, hidden_dims=embed_dims, dropout=0.0),
    loss_attn=dict(type='SpatialAttentionLoss', loss_weight=1.0),
    frame_chunk=None,
    init_cfg=None)

default_hooks = dict(checkpoint=dict(save_best=None), logger=dict(interval=25))
