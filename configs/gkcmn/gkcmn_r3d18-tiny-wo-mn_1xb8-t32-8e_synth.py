# Table 3 ablation "w/o MN" on the synthetic benchmark: without the whole mixed
# convolutional network.
_base_ = ['./gkcmn_r3d18-tiny_1xb8-t32-8e_synth.py']
model = dict(mixed_conv=None)
