# Full fine-tuning (no LoRA) of Qwen2.5-VL-7B-Instruct on HC-STVG v2, sharded over 8 GPUs with
# FSDP: mmengine's FlexibleRunner and its FSDPStrategy (a 7B model with AdamW states does not
# fit one GPU: weights, gradients and optimizer states are split over the ranks, each layer
# gathered when the forward reaches it). One FSDP unit per decoder layer and per vision
# block (transformers' `_no_split_modules` of the model), bf16 weights, gradient
# checkpointing, the vision encoder frozen, lr 1e-5. The checkpoints hold the full state dict
# (gathered on rank 0), which the unsharded config tests. Several machines: NNODES /
# NODE_RANK / MASTER_ADDR (tools/dist_train.sh), or tools/slurm_train.sh.
#   bash tools/dist_train.sh configs/mllm/mllm_qwen2-5-vl-7b-fsdp_8xb1-2fps-2e_hcstvg-v2.py 8
#   python tools/test.py configs/mllm/mllm_qwen2-5-vl-7b_zero-shot-2fps_hcstvg-v2.py \
#       work_dirs/mllm_qwen2-5-vl-7b-fsdp_8xb1-2fps-2e_hcstvg-v2/epoch_2.pth
# The same at tiny size on two CPU processes: mllm_qwen2-5-vl-tiny-fsdp_2xb1-2fps-1e_synth.py.
# DeepSpeed instead of FSDP: strategy=dict(type='DeepSpeedStrategy', zero_optimization=
# dict(stage=3), bf16=dict(enabled=True)) and optim_wrapper=dict(type='DeepSpeedOptimWrapper',
# optimizer=...) (needs `pip install deepspeed`; see docs/user_guides/mllm.md).
_base_ = ['./mllm_qwen2-5-vl-7b_zero-shot-2fps_hcstvg-v2.py']
model = dict(model=dict(gradient_checkpointing=True), freeze_vision=True)
runner_type = 'FlexibleRunner'
strategy = dict(
    type='FSDPStrategy',
    model_wrapper=dict(
        auto_wrap_policy=dict(
            type='mmstvg.layer_class_wrap_policy',
            layer_cls_names=['Qwen2_5_VLDecoderLayer', 'Qwen2_5_VLVisionBlock']),
        use_orig_params=True),
    state_dict_cfg='full')
optim_wrapper = dict(optimizer=dict(lr=1e-5))
auto_scale_lr = dict(base_batch_size=8)
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2))
