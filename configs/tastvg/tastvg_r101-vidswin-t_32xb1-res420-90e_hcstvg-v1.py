# TA-STVG on HC-STVG v1 at the released model's settings (configs/tastvg/README.md):
# HengLan/TA-STVG's `scripts/train_net.py --config-file experiments/hcstvg.yaml` (32 A100 GPUs,
# one video each): CG-STVG's data (frames of height 420, 3.2 fps in training) with TA-STVG's
# model; the subject and word labels of TA-STVG's annos/{train,test}.json (LoadTASTVGLabels);
# AdamW lr 2e-4 (visual backbone 1e-6, text encoder 5e-5, temporal decoder 2e-4, target-aware
# classifiers 5e-4), start/end weight 12, 90 epochs, lr x0.1 after epoch 50.
_base_ = [
    '../cgstvg/cgstvg_r101-vidswin-t_8xb1-res420-90e_hcstvg-v1.py',
    '../_base_/models/tastvg_vidswin-t.py'
]
model = {{_base_.tastvg_model}}
ta_labels_train = 'data/hcstvg_v1/tastvg_annos/train.json'  # TA-STVG data.tar: annos/
ta_labels_test = 'data/hcstvg_v1/tastvg_annos/test.json'
meta_keys = ('qid', 'video_name', 'filename', 'sentence', 'sentence_type', 'num_frames', 'fps',
             'ori_shape', 'img_shape', 'clip', 'frame_inds', 'num_passes', 'flip',
             'flip_direction', 'scale_factor', 'crop_bbox', 'height', 'width', 'frame_times',
             'time_origin', 'sample_rate', 'ta_attr_labels', 'ta_action_labels')
resize = dict(type='AntialiasResize', height=420, max_aspect=1.4)
train_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(type='SampleSTCATFrames', fps=3.2, max_frames=200, crop_prob=0.5),
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
    resize,
    dict(type='STVGFlip', flip_ratio=0.7),
    dict(type='LoadTASTVGLabels', ann_file=ta_labels_train),
    {{_base_.text_tokenize}},
    dict(type='PackSTVGInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(type='SampleSTCATFrames', fps=6.4, max_frames=400, num_passes=2, test_mode=True),
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
    resize,
    dict(type='LoadTASTVGLabels', ann_file=ta_labels_test),
    {{_base_.text_tokenize}},
    dict(type='PackSTVGInputs', meta_keys=meta_keys),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
# engine/optimizer.py (TA-STVG): BASE_LR 2e-4; VIS_BACKBONE_LR 1e-6, TEXT_LR 5e-5, TEMP_LR 2e-4,
# VERB_LR 5e-4 for the target-aware modules (`*_clas`)
optim_wrapper = dict(
    optimizer=dict(lr=2e-4),
    paramwise_cfg=dict(
        custom_keys={
            'image_backbone': dict(lr_mult=1e-6 / 2e-4),
            'text_encoder': dict(lr_mult=5e-5 / 2e-4),
            'decoder.time_': dict(lr_mult=1.0),
            '_sampling': dict(lr_mult=5e-4 / 2e-4),
            '_activation': dict(lr_mult=5e-4 / 2e-4)
        }))
auto_scale_lr = dict(enable=False, base_batch_size=32)
