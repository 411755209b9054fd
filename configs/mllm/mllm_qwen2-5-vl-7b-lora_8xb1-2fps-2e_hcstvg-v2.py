# Supervised fine-tuning of Qwen2.5-VL-7B-Instruct on HC-STVG v2 train with LoRA: rank-64
# adapters on every linear layer of the language model (its attention and MLP projections),
# the vision encoder frozen, bf16 weights, gradient checkpointing; 8 GPUs x 1 query, 2 epochs
# (configs/_base_/schedules/mllm_sft_2e.py). The training target is the JSON tube answer of
# the GT (template `json_tube`, parser `json_tube` in input pixels); validation and test on
# val_v2 under the `sampled` protocol, as every specialist here.
#   bash tools/dist_train.sh configs/mllm/mllm_qwen2-5-vl-7b-lora_8xb1-2fps-2e_hcstvg-v2.py 8
#   python tools/test.py configs/mllm/mllm_qwen2-5-vl-7b-lora_8xb1-2fps-2e_hcstvg-v2.py \
#       work_dirs/mllm_qwen2-5-vl-7b-lora_8xb1-2fps-2e_hcstvg-v2/epoch_2.pth
# Full fine-tuning (no LoRA) of a 7B model does not fit one GPU: shard it with FSDP
# (mllm_qwen2-5-vl-7b-fsdp_8xb1-2fps-2e_hcstvg-v2.py).
_base_ = ['./mllm_qwen2-5-vl-7b_zero-shot-2fps_hcstvg-v2.py']
model = dict(
    model=dict(gradient_checkpointing=True),
    freeze_vision=True,
    lora=dict(
        r=64,
        lora_alpha=128,
        lora_dropout=0.05,
        # the language model's linear layers only (the vision MLP has gate/up/down
        # projections too)
        target_modules=r'.*language_model.*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|'
        r'down_proj)'))
auto_scale_lr = dict(base_batch_size=8)
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2))
