# CG-STVG's changes to STCAT's model (configs/cgstvg/README.md), merged into an STCAT config's
# `model` by `model = {{_base_.cgstvg_model}}` (separate names: a config may not take `model`
# from two sibling bases). HengLan/CGSTVG config/defaults.py + experiments/hcstvg.yaml
# (HC-STVG v1; v2 overrides one threshold) and experiments/vidstg.yaml (cgstvg_model_vidstg).
cgstvg_guidance = dict(type='InstanceContextGuidance', embed_dims=256, conf_dropout=0.3)
cgstvg_model = dict(
    type='CGSTVG',
    # VidSwin-T (Kinetics-400), (1, 4, 4) patches, stage-4 output without norm, frozen
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
    decoder=dict(
        type='CGSTVGDecoder',
        guidance=dict(
            cgstvg_guidance,
            train_iou_thr=0.8,  # MODEL.CG.SPAT_GT_THETA
            test_conf_thr=0.8,  # MODEL.CG.SPAT_THETA
            test_actioness_thr=0.5)),  # MODEL.CG.TEMP_THETA
    spatial_head=dict(anchor_key=None),  # boxes sigmoid(MLP(q)), not anchor-relative
    loss_guided_attn=None,  # SOLVER.USE_ATTN False
    loss_conf_weight=1.0,  # SOLVER.CONF_COEF
    # the two test passes run one after the other (one video per batch, as the original)
    test_cfg=dict(pass_batch=1))
cgstvg_model_vidstg = dict(
    cgstvg_model,
    decoder=dict(
        type='CGSTVGDecoder',
        guidance=dict(
            cgstvg_guidance, train_iou_thr=0.5, test_conf_thr=0.5, test_actioness_thr=-0.5)),
    temporal_head=dict(loss_sted=dict(loss_weight=1.0)))  # TEMP_COEF 1
