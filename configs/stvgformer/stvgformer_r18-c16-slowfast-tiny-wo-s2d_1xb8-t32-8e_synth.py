# The synthetic STVGFormer without the static-to-dynamic interaction (Table 1, Eq. 2 off).
_base_ = ['./stvgformer_r18-c16-slowfast-tiny_1xb8-t32-8e_synth.py']
model = dict(interaction=dict(static_to_dynamic=False))
