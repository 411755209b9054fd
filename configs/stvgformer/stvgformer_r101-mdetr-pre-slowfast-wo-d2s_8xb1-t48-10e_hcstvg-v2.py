# Table 1 ablation: without the dynamic-to-static interaction (query enhancement).
_base_ = ['./stvgformer_r101-mdetr-pre-slowfast_8xb1-t48-10e_hcstvg-v2.py']
model = dict(interaction=dict(dynamic_to_static=False))
