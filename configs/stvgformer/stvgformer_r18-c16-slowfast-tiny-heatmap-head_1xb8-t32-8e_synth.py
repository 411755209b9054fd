# Swapping a component by config (docs/advanced_guides/swap_components.md): GKCMN's Gaussian
# heatmap head (GaussianHeatmapHead, gkcmn.md §2.3) replaces STVGFormer's query box head and
# reads the dynamic branch's last feature maps; everything else is the synthetic STVGFormer.
_base_ = ['./stvgformer_r18-c16-slowfast-tiny_1xb8-t32-8e_synth.py']
model = dict(
    spatial_head=dict(
        _delete_=True,
        type='GaussianHeatmapHead',
        in_channels={{_base_.embed_dims}},
        feat_channels=32,
        map_size=None,  # keep the dynamic map's own resolution
        # the kernel its benchmark row was measured with (GaussianHeatmapHead's default is
        # now the box-adaptive 'box' kernel, configs/gkcmn/README.md)
        sigma_mode='centernet',
        loss_heatmap=dict(
            type='ThresholdGaussianFocalLoss', alpha=2.0, beta=4.0, gamma=0.8, loss_weight=1.0),
        loss_bbox=dict(type='mmdet.GIoULoss', loss_weight=2.0)),
    # these training aids act on the object queries, which no longer make boxes
    aux_loss=False,
    box_reference=None,
    loss_attn=None)
# The last decoder layer's query now feeds no head: its parameters get no gradient, so DDP
# must look for unused parameters (docs/distributed.md).
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)
