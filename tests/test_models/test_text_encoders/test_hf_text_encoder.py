import pytest
import torch

from mmstvg.models.text_encoders import HFTextEncoder
from mmstvg.testing import TINY_ROBERTA


def test_random_init_shapes_and_mean_pooling():
    enc = HFTextEncoder(config=TINY_ROBERTA, out_channels=16, pooling='mean')
    ids = torch.tensor([[0, 5, 6, 2, 1], [0, 7, 2, 1, 1]])
    mask = torch.tensor([[1, 1, 1, 1, 0], [1, 1, 1, 0, 0]])
    out = enc(ids, mask)
    assert out['tokens'].shape == (2, 5, 16)
    assert out['sentence'].shape == (2, 16)
    assert torch.allclose(out['sentence'][1], out['tokens'][1, :3].mean(0), atol=1e-6)


def test_loads_local_save_pretrained_and_freezes(tmp_path):
    from transformers import AutoConfig, AutoModel
    cfg = dict(TINY_ROBERTA)
    model = AutoModel.from_config(AutoConfig.for_model(cfg.pop('model_type'), **cfg))
    model.save_pretrained(tmp_path)
    enc = HFTextEncoder(pretrained=str(tmp_path), freeze=True)
    for (k, v), (k2, v2) in zip(model.state_dict().items(), enc.model.state_dict().items()):
        assert k == k2 and torch.equal(v, v2)
    assert not any(p.requires_grad for p in enc.model.parameters())
    enc.train()
    assert not enc.model.training


def test_needs_exactly_one_source():
    with pytest.raises(ValueError, match='exactly one'):
        HFTextEncoder()


def test_every_parameter_gets_a_gradient():
    """No unused parameters (the pooler is dropped), as DDP requires."""
    enc = HFTextEncoder(config=TINY_ROBERTA, out_channels=8)
    out = enc(torch.tensor([[0, 5, 6, 2]]), torch.ones(1, 4, dtype=torch.long))
    (out['tokens'].sum() + out['sentence'].sum()).backward()
    unused = [n for n, p in enc.named_parameters() if p.grad is None]
    assert not unused, unused


def test_proj_norm_is_mdetr_feature_resizer():
    """``proj_norm=True``: FC then LayerNorm(eps=1e-12), as MDETR's FeatureResizer."""
    torch.manual_seed(0)
    enc = HFTextEncoder(config=TINY_ROBERTA, out_channels=16, proj_norm=True, pooling='cls')
    assert isinstance(enc.proj_norm, torch.nn.LayerNorm)
    assert enc.proj_norm.normalized_shape == (16, ) and enc.proj_norm.eps == 1e-12
    assert {'proj_norm.weight', 'proj_norm.bias'} <= set(enc.state_dict())
    with torch.no_grad():
        enc.proj_norm.weight.uniform_(0.5, 1.5)
        enc.proj_norm.bias.uniform_(-0.5, 0.5)
    ids = torch.tensor([[0, 5, 6, 2]])
    mask = torch.ones(1, 4, dtype=torch.long)
    out = enc(ids, mask)
    hidden = enc.model(input_ids=ids, attention_mask=mask).last_hidden_state
    expected = torch.nn.functional.layer_norm(
        enc.proj(hidden), (16, ), enc.proj_norm.weight, enc.proj_norm.bias, eps=1e-12)
    assert torch.allclose(out['tokens'], expected, atol=1e-6)
    assert torch.allclose(out['sentence'], expected[:, 0], atol=1e-6)


def test_proj_norm_default_off_adds_no_parameters():
    enc = HFTextEncoder(config=TINY_ROBERTA, out_channels=16)
    assert isinstance(enc.proj_norm, torch.nn.Identity)
    assert not any(k.startswith('proj_norm') for k in enc.state_dict())
    with pytest.raises(ValueError, match='out_channels'):
        HFTextEncoder(config=TINY_ROBERTA, proj_norm=True)
