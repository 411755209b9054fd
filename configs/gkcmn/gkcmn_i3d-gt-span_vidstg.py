# Table 2 ("evaluation results with the temporal ground truth"): spatial grounding only. The
# model and its training are those of gkcmn_i3d_vidstg.py (test its checkpoint with this
# config); at test time the predicted span is replaced by the GT span and the tube is the
# spatial head's boxes at every sampled frame inside it (BaseGrounder's
# test_cfg.use_gt_span). m_tIoU is 1 by construction; Table 2 reports m_vIoU and vIoU@R.
_base_ = ['./gkcmn_i3d_vidstg.py']
model = dict(test_cfg=dict(use_gt_span=True))
