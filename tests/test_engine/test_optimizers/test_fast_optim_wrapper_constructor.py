"""FastOptimWrapperConstructor (issue 28): mmengine's default constructor with the fused /
multi-tensor Adam(W) where PyTorch allows it on the parameters' device."""
import pytest
import torch

from mmstvg.engine.optimizers import FastOptimWrapperConstructor, multi_tensor_choice


def _model():
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Linear(8, 2))


def _build(optimizer, **wrapper):
    cfg = dict(type='OptimWrapper', optimizer=optimizer, **wrapper)
    paramwise = cfg.pop('paramwise_cfg', None)
    return FastOptimWrapperConstructor(cfg, paramwise)(_model())


@pytest.mark.parametrize('kind', ['Adam', 'AdamW'])
def test_fused_where_the_device_allows(kind):
    wrapper = _build(dict(type=kind, lr=1e-3, weight_decay=1e-4))
    assert type(wrapper.optimizer).__name__ == kind
    assert multi_tensor_choice(wrapper.optimizer) == 'fused'  # CPU has fused Adam(W)
    assert wrapper.optimizer.defaults['weight_decay'] == 1e-4


def test_what_the_config_says_is_kept():
    assert multi_tensor_choice(_build(dict(type='AdamW', lr=1e-3, foreach=False)).optimizer) \
        is None
    assert multi_tensor_choice(_build(dict(type='AdamW', lr=1e-3, foreach=True)).optimizer) \
        == 'foreach'
    assert multi_tensor_choice(_build(dict(type='SGD', lr=0.1)).optimizer) is None
    # paramwise_cfg works as in mmengine's constructor
    wrapper = _build(
        dict(type='AdamW', lr=1e-3), paramwise_cfg=dict(custom_keys={'0.': dict(lr_mult=0.1)}))
    assert sorted(g['lr'] for g in wrapper.optimizer.param_groups) == \
        pytest.approx([1e-4, 1e-4, 1e-3, 1e-3])


def test_foreach_when_fused_is_refused(monkeypatch):
    real = torch.optim.AdamW

    class NoFused(real):

        def __init__(self, params, **kwargs):
            if kwargs.get('fused'):
                raise RuntimeError('`fused=True` requires all the params to be floating point '
                                   'Tensors of supported devices')
            super().__init__(params, **kwargs)

    from mmengine.registry import OPTIMIZERS
    monkeypatch.setitem(OPTIMIZERS.module_dict, 'AdamW', NoFused)
    wrapper = _build(dict(type='AdamW', lr=1e-3))
    assert type(wrapper.optimizer) is NoFused
    assert multi_tensor_choice(wrapper.optimizer) == 'foreach'


def test_the_same_update_as_the_per_tensor_loop():
    torch.manual_seed(0)
    models = [_model() for _ in range(2)]
    models[1].load_state_dict(models[0].state_dict())
    optims = [
        torch.optim.AdamW(models[0].parameters(), lr=1e-2, foreach=False),
        FastOptimWrapperConstructor(
            dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-2)))(models[1]).optimizer
    ]
    x = torch.randn(16, 4)
    for _ in range(5):
        for model, optim in zip(models, optims):
            optim.zero_grad()
            model(x).pow(2).mean().backward()
            optim.step()
    for a, b in zip(models[0].parameters(), models[1].parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
