# CG-STVG sized for the synthetic benchmark on 2 CPU cores: STCAT's synthetic config
# (configs/stcat/stcat_r18-c16-tiny_1xb8-t32-8e_synth.py: 1/4-width ResNet-18, 2-layer random
# RoBERTa, d = 64, 2 + 2 + 2 layers, no dropout) with CG-STVG's model: a 3-stage Swin-T-style
# motion branch of width 16 (stride 16, the image maps' 12 x 12 grid; random, not frozen: no
# Kinetics weights here), the spatial-only encoder, the context-guided decoder and the
# confidence loss. Eight videos per batch, as every synthetic config (CG-STVG runs one; here
# the guidance runs per video in the batch, a batch giving what each video gives alone). The
# two attention training aids of the STCAT synthetic config are kept (not in the paper).
_base_ = ['../stcat/stcat_r18-c16-tiny_1xb8-t32-8e_synth.py']
embed_dims = 64
model = dict(
    type='CGSTVG',
    motion_encoder=dict(
        type='VidSwinMotionEncoder',
        arch=dict(embed_dims=16, depths=[1, 1, 1], num_heads=[1, 2, 4]),
        window_size=(8, 7, 7),
        drop_path_rate=0.0,
        out_stage=2,
        out_norm=False,
        frozen=False),
    motion_channels=64,
    encoder=dict(type='CGSTVGEncoder'),
    decoder=dict(
        type='CGSTVGDecoder',
        guidance=dict(
            type='InstanceContextGuidance',
            embed_dims=embed_dims,
            conf_dropout=0.0,
            train_iou_thr=0.8,
            test_conf_thr=0.8,
            test_actioness_thr=0.5)),
    # boxes relative to the attention anchors of the STCAT synthetic config's training aids
    # (decoder box_reference='attention', loss_attn; not in the paper)
    spatial_head=dict(anchor_key='ref_anchors'),
    loss_guided_attn=None,
    loss_conf_weight=1.0)
