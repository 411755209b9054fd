# Full fine-tuning of the tiny Qwen2.5-VL sharded with FSDP (a variant of
# mllm_qwen2-5-vl-tiny_1xb2-2fps-1e_synth.py): mmengine's FlexibleRunner with its FSDPStrategy,
# one FSDP unit per decoder layer and per vision block (the model's `_no_split_modules`), the
# full (unsharded) state dict in the checkpoints, so that the unsharded config tests them.
# The same route as the 7B config (mllm_qwen2-5-vl-7b-fsdp_8xb1-2fps-2e_hcstvg-v2.py), at a
# size two CPU processes run (gloo; tools/train.py starts it on a machine without CUDA):
#   bash tools/dist_train.sh configs/mllm/mllm_qwen2-5-vl-tiny-fsdp_2xb1-2fps-1e_synth.py 2
_base_ = ['./mllm_qwen2-5-vl-tiny_1xb2-2fps-1e_synth.py']
runner_type = 'FlexibleRunner'
strategy = dict(
    type='FSDPStrategy',
    model_wrapper=dict(
        auto_wrap_policy=dict(
            type='mmstvg.layer_class_wrap_policy',
            layer_cls_names=['Qwen2_5_VLDecoderLayer', 'Qwen2_5_VLVisionBlock']),
        use_orig_params=True),
    # mmengine's 'full' offloads the gathered state dict to the CPU, which crashes FSDP on a
    # CPU-only machine (torch 2.13: a segmentation fault); without the offload it is the same
    # full state dict (the 7B config, on GPUs, uses 'full')
    state_dict_cfg=dict(
        state_dict_type='FULL_STATE_DICT',
        state_dict_config=dict(type='FullStateDictConfig', offload_to_cpu=False, rank0_only=False),
        optim_state_dict_config=dict(
            type='FullOptimStateDictConfig', offload_to_cpu=False, rank0_only=False)))
train_dataloader = dict(batch_size=1)
val_dataloader = dict(batch_size=1)
test_dataloader = dict(batch_size=1)
auto_scale_lr = dict(base_batch_size=2)
