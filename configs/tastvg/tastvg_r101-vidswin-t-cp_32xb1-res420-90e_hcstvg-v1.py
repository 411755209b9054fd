# TA-STVG on HC-STVG v1 with the memory options (as configs/cgstvg/*-cp_*: activation
# checkpointing of the ResNet-101 blocks, RoBERTa's layers, the motion branch's Swin blocks and
# every encoder / decoder layer; sdpa attention in the encoder). Add AMP with `--amp`.
_base_ = ['./tastvg_r101-vidswin-t_32xb1-res420-90e_hcstvg-v1.py']
model = dict(
    image_backbone=dict(with_cp=True),
    text_encoder=dict(gradient_checkpointing=True),
    motion_encoder=dict(with_cp=True),
    encoder=dict(with_cp=True, attn_impl='sdpa'),
    decoder=dict(with_cp=True))
