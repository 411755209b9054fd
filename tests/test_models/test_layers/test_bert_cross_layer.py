"""BertCrossLayer / BertPredictionHead / DropoutMLP: the BERT-style blocks of CG-STVG and TA-STVG.

Equality with the forks' own classes (``bert_model/bert_module.py``, ``net_utils.MLP``) runs when
``$MMSTVG_CGSTVG_REPO`` / ``$MMSTVG_TASTVG_REPO`` name checkouts; otherwise it is skipped.
"""
import importlib.util
import os.path as osp

import pytest
import torch

from mmstvg.models.layers import BertCrossLayer, BertPredictionHead, DropoutMLP
from mmstvg.models.utils.cgstvg_converter import (bert_cross_layer_key, convert_part,
                                                  prediction_head_key)

_HELPER = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'cgta_reference.py')
_spec = importlib.util.spec_from_file_location('cgta_reference', _HELPER)
cgta = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cgta)
BERT = 'bert_model/bert_module.py'


def test_shapes_and_attention_rows():
    layer = BertCrossLayer().eval()
    out, probs = layer(torch.randn(5, 3, 256), torch.randn(5, 7, 256))
    assert out.shape == (5, 3, 256) and probs.shape == (5, 8, 3, 7)
    assert torch.allclose(probs.sum(-1), torch.ones(5, 8, 3))
    assert BertPredictionHead(256, 15)(torch.randn(2, 4, 256)).shape == (2, 4, 15)
    assert DropoutMLP(256, 256, 1, 2, dropout=0.3)(torch.randn(4, 256)).shape == (4, 1)


def test_key_maps():
    assert bert_cross_layer_key('attention.self.query.weight') == 'q_proj.weight'
    assert bert_cross_layer_key('output.LayerNorm.bias') == 'ffn_norm.bias'
    assert bert_cross_layer_key('attention.output.LayerNorm.weight') == 'attn_norm.weight'
    assert bert_cross_layer_key('memory_intermediate.dense.weight') == ''  # dropped
    assert bert_cross_layer_key('attention.self.rotary.weight') is None
    assert prediction_head_key('bias') == 'decoder.bias'
    own = set(BertCrossLayer().state_dict())
    fork = [
        'attention.self.query', 'attention.self.key', 'attention.self.value',
        'attention.output.dense', 'attention.output.LayerNorm', 'hidden_intermediate.dense',
        'memory_intermediate.dense', 'output.dense', 'output.LayerNorm'
    ]
    fork = {f'{m}.{p}': torch.zeros(1) for m in fork for p in ('weight', 'bias')}
    assert set(convert_part(fork, '', '', bert_cross_layer_key)) == own


@pytest.mark.parametrize('repo', [cgta.CGSTVG_REPO, cgta.TASTVG_REPO], ids=['cgstvg', 'tastvg'])
def test_equal_to_fork_bert_layer_cross(repo):
    if not cgta.spec_exists(repo, BERT):
        pytest.skip('set MMSTVG_CGSTVG_REPO / MMSTVG_TASTVG_REPO to a checkout of the fork')
    bert = cgta.load_models_file(repo, BERT)
    cfg = dict(
        num_attention_heads=8,
        hidden_size=256,
        attention_head_size=256,
        attention_probs_dropout_prob=0.1,
        layer_norm_eps=1e-12,
        hidden_dropout_prob=0.1,
        intermediate_size=256,
        vocab_size=15)
    edict = type('E', (dict, ), {'__getattr__': dict.__getitem__})
    ref = bert.BertLayer_Cross(edict(cfg)).eval()
    cgta.random_init_(ref, seed=2)
    own = BertCrossLayer().eval()
    own.load_state_dict(convert_part(ref.state_dict(), '', '', bert_cross_layer_key), strict=True)
    q, kv = torch.randn(6, 1, 256), torch.randn(6, 9, 256)
    with torch.no_grad():
        expected = ref(q, kv)
        got, probs = own(q, kv)
    if isinstance(expected, tuple):  # TA-STVG's returns the attention map too
        expected, att = expected
        assert (probs - att).abs().max() <= 1e-6
    assert (got - expected).abs().max() <= 1e-4
    if hasattr(bert, 'BertLMPredictionHead'):
        head = bert.BertLMPredictionHead(edict(cfg)).eval()
        cgta.random_init_(head, seed=3)
        mine = BertPredictionHead(256, 15).eval()
        mine.load_state_dict(
            convert_part(head.state_dict(), '', '', prediction_head_key), strict=True)
        x = torch.randn(2, 5, 256)
        with torch.no_grad():
            assert (mine(x) - head(x)).abs().max() <= 1e-4


@pytest.mark.parametrize('repo', [cgta.CGSTVG_REPO], ids=['cgstvg'])
def test_dropout_mlp_equal_to_fork_mlp_in_train_mode(repo):
    if not cgta.spec_exists(repo, 'net_utils.py'):
        pytest.skip('set MMSTVG_CGSTVG_REPO to a checkout of CG-STVG')
    ref = cgta.load_models_file(repo, 'net_utils.py').MLP(256, 256, 1, 2, dropout=0.3).train()
    own = DropoutMLP(256, 256, 1, 2, dropout=0.3).train()
    own.load_state_dict(ref.state_dict(), strict=True)
    x = torch.randn(4, 256)
    torch.manual_seed(5)
    expected = ref(x)
    torch.manual_seed(5)
    assert (own(x) - expected).abs().max() <= 1e-6
