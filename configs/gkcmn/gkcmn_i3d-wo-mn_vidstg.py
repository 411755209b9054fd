# Table 3 ablation "w/o MN": without the whole mixed convolutional network.
_base_ = ['./gkcmn_i3d_vidstg.py']
model = dict(mixed_conv=None)
