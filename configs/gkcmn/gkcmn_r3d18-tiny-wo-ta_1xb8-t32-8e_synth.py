# Table 3 ablation "w/o TA" on the synthetic benchmark: without the temporal head's self-attention.
_base_ = ['./gkcmn_r3d18-tiny_1xb8-t32-8e_synth.py']
model = dict(temporal_head=dict(use_attention=False))
