# Table 3 ablation "w/o SK" on the synthetic benchmark: without the Gaussian kernel
# (single-point heatmap target).
_base_ = ['./gkcmn_r3d18-tiny_1xb8-t32-8e_synth.py']
model = dict(spatial_head=dict(single_point=True))
