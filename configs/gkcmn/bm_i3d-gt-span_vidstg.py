# Table 2 ("evaluation results with the temporal ground truth"), BM row: spatial grounding
# only, with the model and training of bm_i3d_vidstg.py; at test time the GT span replaces
# the predicted one (BaseGrounder's test_cfg.use_gt_span, see gkcmn_i3d-gt-span_vidstg.py).
_base_ = ['./bm_i3d_vidstg.py']
model = dict(test_cfg=dict(use_gt_span=True))
