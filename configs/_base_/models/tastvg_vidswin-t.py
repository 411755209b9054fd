# TA-STVG's changes to STCAT's model (configs/tastvg/README.md), merged into an STCAT-family
# config's `model` by `model = {{_base_.tastvg_model}}` (HengLan/TA-STVG config/defaults.py and
# experiments/hcstvg.yaml; tastvg_model_vidstg: experiments/vidstg.yaml).
tastvg_decoder = dict(
    _delete_=True,
    type='TASTVGDecoder',
    embed_dims=256,
    num_layers=6,
    num_heads=8,
    feedforward_channels=2048,
    dropout=0.1,
    max_len=200)
tastvg_model = dict(
    type='TASTVG',
    motion_encoder=dict(
        type='VidSwinMotionEncoder',
        arch='tiny',
        patch_size=(1, 4, 4),
        window_size=(8, 7, 7),
        drop_path_rate=0.2,
        out_stage=3,
        out_norm=False,
        frozen=True),
    motion_channels=768,
    encoder=dict(type='CGSTVGEncoder'),
    decoder=tastvg_decoder,
    spatial_head=dict(anchor_key=None),
    temporal_head=dict(loss_sted=dict(loss_weight=12.0)),  # TEMP_COEF (v1)
    num_attr_classes=15,  # DATASET.APP_NUM
    num_action_classes=60,  # DATASET.MOT_NUM
    frame_thr=0.7,  # pipeline.py: theta (HC-STVG)
    loss_frame_weight=1.0,  # CONF_COEF, CONF2_COEF
    loss_attr_weight=1.0,  # CONF3_COEF, CONF4_COEF
    loss_guided_attn=None,
    loss_conf_weight=0.0,
    # the two test passes run one after the other (one video per batch, as the original)
    test_cfg=dict(pass_batch=1))
tastvg_model_vidstg = dict(
    tastvg_model,
    temporal_head=dict(loss_sted=dict(loss_weight=2.0)),
    spatial_head=dict(anchor_key=None, loss_giou=dict(loss_weight=3.0)),
    num_attr_classes=20,
    num_action_classes=34,
    frame_thr=0.45)
