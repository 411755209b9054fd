# Table 3 ablation "w/o TA": without the temporal head's self-attention.
_base_ = ['./gkcmn_i3d_vidstg.py']
model = dict(temporal_head=dict(use_attention=False))
