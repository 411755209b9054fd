# GKCMN on VidSTG with precomputed I3D feature maps (paper §3): d = 32, L = 16, 200 feature
# steps, 20 words, Adam with lr 3e-3. The paper gives no epoch count or batch size: 10 epochs
# of batch 16 here. Reported per sentence type (declarative / interrogative) as well.
_base_ = [
    '../_base_/models/gkcmn_i3d.py', '../_base_/datasets/vidstg_i3d_features.py',
    '../_base_/schedules/adamw_10e.py', '../_base_/default_runtime.py'
]
# the model reads maps of the channel count of the dataset config's feature extractor
model = dict(interaction=dict(visual_channels={{_base_.feature_channels}}))
optim_wrapper = dict(optimizer=dict(_delete_=True, type='Adam', lr=3e-3), clip_grad=None)
auto_scale_lr = dict(enable=False, base_batch_size=16)
