# TA-STVG sized for the synthetic benchmark on 2 CPU cores: CG-STVG's synthetic model
# (configs/cgstvg/cgstvg_r18-c16-tiny_1xb8-t32-8e_synth.py) with TA-STVG's decoder and
# target-aware modules. The synthetic data has no subject / word annotation: the word losses
# are off (no labels), the frame-relevance losses and the target-aware initial queries run.
# The two attention training aids of the STCAT synthetic config are kept (not in the paper),
# and one of its own (not in the paper either): the target-aware modules read the encoder
# output without detaching it (`detach_memory=False`; TA-STVG detaches it), so the
# frame-relevance losses, and the decoder losses through the activation maps that weight the
# initial queries, also train the encoder and the backbones. Its temporal
# decoder reads only the text and motion tokens, and this motion branch learns from scratch
# (the paper's is Kinetics-pretrained and frozen): with the start/end KL as its only signal it
# learned late or not at all depending on the seed (configs/tastvg/README.md, "Synthetic
# benchmark"). Inference is the same either way.
_base_ = ['../cgstvg/cgstvg_r18-c16-tiny_1xb8-t32-8e_synth.py']
embed_dims = 64
model = dict(
    type='TASTVG',
    decoder=dict(
        _delete_=True,
        type='TASTVGDecoder',
        embed_dims=embed_dims,
        num_layers=2,
        num_heads=4,
        feedforward_channels=2 * embed_dims,
        dropout=0.0,
        box_reference='attention'),
    num_attr_classes=4,
    num_action_classes=4,
    frame_thr=0.7,
    detach_memory=False,
    loss_conf_weight=0.0)
