# Zero-shot Qwen3-VL-8B-Instruct on HC-STVG v2 val, scored by STVGMetric under the same
# protocol as every specialist of this repository (TubeDETR's `sampled`, 5 fps, 200 frames).
# Weights from a local checkpoint (configs/_base_/models/mllm_qwen3_vl_8b.py); no checkpoint
# argument:
#   python tools/test.py configs/mllm/mllm_qwen3-vl-8b_zero-shot-2fps_hcstvg-v2.py
_base_ = [
    '../_base_/datasets/hcstvg_v2.py', '../_base_/models/mllm_qwen3_vl_8b.py',
    '../_base_/schedules/mllm_sft_2e.py', '../_base_/default_runtime.py'
]
test_pipeline = {{_base_.mllm_test_pipeline}}
test_dataloader = dict(batch_size=1, dataset=dict(pipeline=test_pipeline))
# Its training settings (the MLLM pipeline, one query per GPU) are what a fine-tuning config
# starts from (mllm_qwen2-5-vl-7b-lora_8xb1-2fps-2e_hcstvg-v2.py).
train_pipeline = {{_base_.mllm_train_pipeline}}
train_dataloader = dict(batch_size=1, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=1, dataset=dict(pipeline=test_pipeline))
auto_scale_lr = dict(base_batch_size=1)
