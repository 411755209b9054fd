# Table 3 ablation "w/o PC": without the parallel connection.
_base_ = ['./gkcmn_i3d_vidstg.py']
model = dict(mixed_conv=dict(use_parallel=False))
