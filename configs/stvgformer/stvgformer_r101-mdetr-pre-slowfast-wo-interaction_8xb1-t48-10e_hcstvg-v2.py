# Table 1 ablation: without any static-dynamic interaction (two independent branches).
_base_ = ['./stvgformer_r101-mdetr-pre-slowfast_8xb1-t48-10e_hcstvg-v2.py']
model = dict(interaction=dict(static_to_dynamic=False, dynamic_to_static=False))
