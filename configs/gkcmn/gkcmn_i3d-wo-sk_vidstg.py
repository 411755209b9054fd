# Table 3 ablation "w/o SK": without the Gaussian kernel (single-point heatmap target).
_base_ = ['./gkcmn_i3d_vidstg.py']
model = dict(spatial_head=dict(single_point=True))
