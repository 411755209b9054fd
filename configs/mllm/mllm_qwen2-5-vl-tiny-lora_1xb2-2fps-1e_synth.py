# Supervised fine-tuning with LoRA of the tiny Qwen2.5-VL (a variant of
# mllm_qwen2-5-vl-tiny_1xb2-2fps-1e_synth.py): rank-8 adapters on the language model's
# attention projections (peft, requirements/optional.txt), every other weight frozen; the loss
# is the GT answer's cross-entropy with the prompt masked (MLLMGrounder.loss). On a CPU:
#   python tools/train.py configs/mllm/mllm_qwen2-5-vl-tiny-lora_1xb2-2fps-1e_synth.py
_base_ = ['./mllm_qwen2-5-vl-tiny_1xb2-2fps-1e_synth.py']
model = dict(
    lora=dict(
        r=8,
        lora_alpha=16,
        lora_dropout=0.0,
        target_modules=['q_proj', 'k_proj', 'v_proj', 'o_proj']))
optim_wrapper = dict(optimizer=dict(lr=1e-2))
