# STVGFormer (small, synthetic) with TubeDETR's start/end head for the span instead of the
# 2D-TAN head: per-frame start and end logits from the pooled dynamic features (`seq`),
# trained with TubeDETR's KL loss to Gaussian targets, decoded as the best start < end pair.
# A head swap by config (docs/advanced_guides/swap_components.md); not in either paper.
_base_ = ['./stvgformer_r18-c16-slowfast-tiny_1xb8-t32-8e_synth.py']
model = dict(
    temporal_head=dict(
        _delete_=True,
        type='StartEndHead',
        in_channels={{_base_.embed_dims}},
        hidden_dims={{_base_.embed_dims}},
        num_layers=2,
        dropout=0.0,
        in_key='seq',
        loss_sted=dict(type='StartEndKLLoss', sigma=1.0, loss_weight=10.0)))
