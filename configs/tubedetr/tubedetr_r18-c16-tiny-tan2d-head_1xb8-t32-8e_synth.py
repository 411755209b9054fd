# TubeDETR (small, synthetic) with STVGFormer's 2D-TAN head for the span instead of the
# start/end head: a proposal map over the decoder's frame queries (`seq`), trained with the
# scaled-IoU BCE and the temporal attentive loss. A head swap by config
# (docs/advanced_guides/swap_components.md); not in either paper.
_base_ = ['./tubedetr_r18-c16-tiny_1xb8-t32-8e_synth.py']
model = dict(
    temporal_head=dict(
        _delete_=True,
        type='TAN2DHead',
        in_channels={{_base_.embed_dims}},
        map_channels={{_base_.embed_dims}},
        num_convs=2,
        kernel_size=5,
        aux_hidden_dims={{_base_.embed_dims}},
        loss_tg=dict(type='ScaledIoUBCELoss', loss_weight=5.0),
        loss_aux=dict(type='TemporalAttentiveLoss', loss_weight=1.0)))
