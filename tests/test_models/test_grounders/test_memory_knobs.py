"""Memory knobs: activation checkpointing changes nothing but memory (same losses and
gradients); frozen backbones get no gradient and keep their BN statistics."""
import copy

import torch

from mmstvg.registry import MODELS
from mmstvg.testing import demo_grounding_inputs, get_tiny_stvgformer_cfg
from mmstvg.utils import register_all_modules

register_all_modules()


def _loss_and_grads(cfg):
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.train()
    inputs, samples = demo_grounding_inputs(2, 8, img_shape=(48, 48), seed=0)
    data = model.data_preprocessor(dict(inputs=inputs, data_samples=samples), True)
    losses = model.loss(**data)
    total = sum(losses.values())
    total.backward()
    return model, float(total), {
        k: p.grad.clone()
        for k, p in model.named_parameters() if p.grad is not None
    }


def test_activation_checkpointing_gives_the_same_loss_and_gradients():
    cfg = get_tiny_stvgformer_cfg()  # dropout 0 in the tiny model
    cp = copy.deepcopy(cfg)
    cp['static_branch']['with_cp'] = True
    cp['dynamic_branch']['with_cp'] = True
    cp['image_backbone']['with_cp'] = True  # mmdet ResNet
    cp['text_encoder']['gradient_checkpointing'] = True  # transformers
    _, loss, grads = _loss_and_grads(cfg)
    model, loss_cp, grads_cp = _loss_and_grads(cp)
    assert model.static_branch.with_cp and model.dynamic_branch.with_cp
    assert loss_cp == loss
    assert grads.keys() == grads_cp.keys()
    for k in grads:
        torch.testing.assert_close(grads_cp[k], grads[k], atol=1e-6, rtol=1e-5)


def test_frozen_video_backbone():
    cfg = get_tiny_stvgformer_cfg()
    cfg['video_backbone'] = dict(cfg['video_backbone'], freeze=True)
    model, _, grads = _loss_and_grads(cfg)
    assert not any(k.startswith('video_backbone.') for k in grads)
    assert not model.video_backbone.backbone.training and model.training
    assert any(k.startswith('static_branch.') for k in grads)


def test_every_trainable_parameter_gets_a_gradient():
    """DDP runs without find_unused_parameters: no trainable parameter is left without a
    gradient (the last STCMT layer builds no text stream, whose output nothing reads)."""
    model, _, grads = _loss_and_grads(get_tiny_stvgformer_cfg())
    unused = [k for k, p in model.named_parameters() if p.requires_grad and k not in grads]
    assert unused == []
    last = model.dynamic_branch.layers[-1]
    assert not last.update_text and not hasattr(last, 'text_to_vis_attn')
    assert model.dynamic_branch.layers[0].update_text
