"""attn_impl switch: every kernel gives the module the same outputs and gradients.

'fused' runs the Triton kernels (through the interpreter on CPU, see tests/conftest.py).
"""
import pytest
import torch
from mmcv.cnn.bricks.transformer import MultiheadAttention

from mmstvg.models.layers import FusibleMultiheadAttention, STCMTLayer, set_attn_impl
from mmstvg.ops import fused_available
from mmstvg.registry import MODELS
from mmstvg.testing import demo_grounding_inputs, get_tiny_stvgformer_cfg
from mmstvg.utils import register_all_modules

register_all_modules()
IMPLS = ['naive', 'sdpa'] + (['fused'] if fused_available(torch.empty(0)) else [])


def test_same_parameters_and_outputs_as_mmcv_attention():
    torch.manual_seed(0)
    ref = MultiheadAttention(16, 2, batch_first=True).eval()
    mod = FusibleMultiheadAttention(16, 2, batch_first=True).eval()
    assert set(ref.state_dict()) == set(mod.state_dict())
    mod.load_state_dict(ref.state_dict())
    q, k = torch.randn(3, 5, 16), torch.randn(3, 7, 16)
    qpos, kpos = torch.randn(3, 5, 16), torch.randn(3, 7, 16)
    kpm = torch.zeros(3, 7, dtype=torch.bool)
    kpm[1, 4:] = True
    expected = ref(q, key=k, value=k, query_pos=qpos, key_pos=kpos, key_padding_mask=kpm)
    # mmcv's wrapper transposes to the sequence-first inner nn.MultiheadAttention
    _, weights = ref.attn(
        (q + qpos).transpose(0, 1), (k + kpos).transpose(0, 1),
        k.transpose(0, 1),
        key_padding_mask=kpm)
    for impl in IMPLS:
        mod.attn_impl = impl
        out = mod(q, key=k, value=k, query_pos=qpos, key_pos=kpos, key_padding_mask=kpm)
        torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)
        out, w = mod(
            q,
            key=k,
            value=k,
            query_pos=qpos,
            key_pos=kpos,
            key_padding_mask=kpm,
            need_weights=True)
        torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(w, weights, atol=1e-5, rtol=1e-5)


def test_invalid_impl_is_refused():
    with pytest.raises(ValueError, match='attn_impl'):
        FusibleMultiheadAttention(16, 2, batch_first=True, attn_impl='flash2')
    with pytest.raises(ValueError, match='attn_impl'):
        STCMTLayer(embed_dims=16, num_heads=2, attn_impl='xformers')


def _layer_outputs(layer, inputs):
    vis = inputs['vis'].clone().requires_grad_()
    vis_out, text_out = layer(
        vis,
        inputs['text'],
        vis_pos=inputs['pos'],
        text_mask=inputs['text_mask'],
        frame_mask=inputs['frame_mask'],
        spatial_mask=inputs['spatial_mask'])
    (vis_out.square().mean() + text_out.square().mean()).backward()
    return vis_out.detach(), text_out.detach(), vis.grad


@pytest.mark.parametrize('impl', IMPLS)
def test_stcmt_layer_kernels_agree(impl):
    """The fused path (pooling folded into the text-to-video kernel) equals the
    pool-then-attend path, forward and backward, with padded frames and positions."""
    torch.manual_seed(0)
    layer = STCMTLayer(embed_dims=16, num_heads=2, feedforward_channels=32, dropout=0.0).eval()
    g = torch.Generator().manual_seed(1)
    inputs = dict(
        vis=torch.randn(2, 5, 6, 16, generator=g),
        pos=torch.randn(2, 5, 6, 16, generator=g),
        text=torch.randn(2, 4, 16, generator=g),
        text_mask=torch.tensor([[True] * 4, [True, True, False, False]]),
        frame_mask=torch.tensor([[True] * 5, [True, True, True, False, False]]),
        spatial_mask=torch.tensor([[False] * 6, [False] * 4 + [True] * 2]))
    expected = _layer_outputs(layer, inputs)
    layer.zero_grad()
    assert set_attn_impl(layer, impl) == 6  # the layer + its five attentions
    for got, want in zip(_layer_outputs(layer, inputs), expected):
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-4)


def test_stvgformer_switch_reaches_every_attention():
    torch.manual_seed(0)
    cfg = get_tiny_stvgformer_cfg(video_backbone=None, clip_channels=12)
    model = MODELS.build(dict(cfg, attn_impl='naive'))
    impls = {m.attn_impl for m in model.modules() if hasattr(m, 'attn_impl')}
    assert impls == {'naive'}
    # encoder self-attn, decoder self/cross-attn per layer; STCMT layer + 5 (the last one
    # + 4: no text stream); SDIB 2
    n = len(model.static_branch.decoder_layers)
    assert sum(hasattr(m, 'attn_impl') for m in model.modules()) == n * (3 + 6 + 2) - 1


@pytest.mark.parametrize('impl', [i for i in IMPLS if i != 'naive'])
def test_stvgformer_losses_and_grads_agree_across_kernels(impl):
    torch.manual_seed(0)
    model = MODELS.build(get_tiny_stvgformer_cfg(video_backbone=None, clip_channels=12))
    model.train()  # every dropout is 0: the kernels must give the same numbers
    inputs, samples = demo_grounding_inputs(2, 6, img_shape=(40, 40), seed=0)
    inputs['features'] = torch.randn(2, 6, 2, 2, 12, generator=torch.Generator().manual_seed(1))

    def run(attn_impl):
        set_attn_impl(model, attn_impl)
        model.zero_grad()
        losses = model.loss(*[
            x for x in model.data_preprocessor(dict(inputs=inputs, data_samples=samples),
                                               True).values()
        ])
        total = sum(losses.values())
        total.backward()
        grads = {
            k: p.grad.clone()
            for k, p in model.named_parameters()
            if p.grad is not None and ('static_branch' in k or 'dynamic_branch' in k)
        }
        return float(total), grads

    loss_naive, grads_naive = run('naive')
    loss_impl, grads_impl = run(impl)
    assert loss_impl == pytest.approx(loss_naive, rel=1e-5, abs=1e-6)
    assert grads_naive.keys() == grads_impl.keys() and grads_naive
    for k in grads_naive:
        torch.testing.assert_close(
            grads_impl[k], grads_naive[k], atol=1e-4, rtol=1e-3, msg=lambda m: f'{k}: {m}')
