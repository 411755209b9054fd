# The synthetic STVGFormer without the dynamic-to-static interaction (Table 1).
_base_ = ['./stvgformer_r18-c16-slowfast-tiny_1xb8-t32-8e_synth.py']
model = dict(interaction=dict(dynamic_to_static=False))
