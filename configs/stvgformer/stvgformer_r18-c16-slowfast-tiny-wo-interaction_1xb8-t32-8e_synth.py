# The synthetic STVGFormer without the static-dynamic interaction (Table 1's last row).
_base_ = ['./stvgformer_r18-c16-slowfast-tiny_1xb8-t32-8e_synth.py']
model = dict(interaction=dict(static_to_dynamic=False, dynamic_to_static=False))
