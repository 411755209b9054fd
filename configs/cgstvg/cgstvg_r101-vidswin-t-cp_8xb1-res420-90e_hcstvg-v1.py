# CG-STVG on HC-STVG v1 with the memory options (configs/cgstvg/README.md, "Memory"): activation
# checkpointing of the ResNet-101 blocks, RoBERTa's layers, the Swin blocks of the (frozen)
# motion branch and every encoder / decoder layer, and PyTorch's fused attention kernel (sdpa)
# in the encoder's layers. Weights, outputs and losses are the plain config's; only memory and
# time change. Add AMP with `tools/train.py --amp`.
_base_ = ['./cgstvg_r101-vidswin-t_8xb1-res420-90e_hcstvg-v1.py']
model = dict(
    image_backbone=dict(with_cp=True),
    text_encoder=dict(gradient_checkpointing=True),
    motion_encoder=dict(with_cp=True),
    encoder=dict(with_cp=True, attn_impl='sdpa'),
    decoder=dict(with_cp=True))
