# Table 3 ablation "w/o SC": without the serial connection.
_base_ = ['./gkcmn_i3d_vidstg.py']
model = dict(mixed_conv=dict(use_serial=False))
