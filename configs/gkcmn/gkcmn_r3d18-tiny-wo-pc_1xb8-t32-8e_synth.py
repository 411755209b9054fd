# Table 3 ablation "w/o PC" on the synthetic benchmark: without the parallel connection.
_base_ = ['./gkcmn_r3d18-tiny_1xb8-t32-8e_synth.py']
model = dict(mixed_conv=dict(use_parallel=False))
