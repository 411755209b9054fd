# STCAT on HC-STVG v1 with the memory options (configs/stcat/README.md, "Memory"): activation
# checkpointing of the ResNet-101 blocks, of RoBERTa's layers and of every encoder / decoder
# layer, and PyTorch's fused attention kernel (sdpa) in the encoder's layers. The weights, the
# outputs and the losses are those of the plain config (tests/test_models/test_grounders/
# test_stcat.py); only memory and time change. Add AMP with `tools/train.py --amp` (bf16 on
# GPUs that have it).
_base_ = ['./stcat_r101-mdetr-pre_8xb1-res448-90e_hcstvg-v1.py']
model = dict(
    image_backbone=dict(with_cp=True),
    text_encoder=dict(gradient_checkpointing=True),
    encoder=dict(with_cp=True, attn_impl='sdpa'),
    decoder=dict(with_cp=True))
