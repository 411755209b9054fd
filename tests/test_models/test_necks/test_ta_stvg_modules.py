"""TA-STVG's TextGuidedTemporalSampling and AttributeSpatialActivation.

Equality with the fork's ``TemporalSampling`` / ``SpatialActivation``
(``models/grounding_model/classifier.py``) on random weights, loaded through the converter's key
map, runs when ``$MMSTVG_TASTVG_REPO`` names a checkout of HengLan/TA-STVG; skipped otherwise.
"""
import importlib.util
import os.path as osp

import pytest
import torch

from mmstvg.models.utils.cgstvg_converter import (CGSTVGConversionError, convert_part,
                                                  ta_classifier_key)
from mmstvg.registry import MODELS
from mmstvg.utils import register_all_modules

_HELPER = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'cgta_reference.py')
_spec = importlib.util.spec_from_file_location('cgta_reference', _HELPER)
cgta = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cgta)
CLASSIFIER = 'grounding_model/classifier.py'
register_all_modules()


def test_shapes():
    sampling = MODELS.build(dict(type='TextGuidedTemporalSampling')).eval()
    logits = sampling(torch.randn(6, 256, 4, 5), torch.randn(1, 9, 256))
    assert logits.shape == (6, )
    act = MODELS.build(dict(type='AttributeSpatialActivation', num_classes=15)).eval()
    logits, maps = act(torch.randn(3, 256, 4, 5), torch.randn(1, 1, 256))
    assert logits.shape == (1, 15) and maps.shape == (3, 20)
    assert maps.min() >= 0 and maps.max() <= 1
    assert act.initial_query(torch.randn(3, 20, 256), maps).shape == (256, )


def test_key_map():
    assert ta_classifier_key('layer_ca.1.attention.self.key.bias') == 'layers.1.k_proj.bias'
    assert ta_classifier_key('head.transform.LayerNorm.weight') == 'head.norm.weight'
    assert ta_classifier_key('class_embedding') == ''
    assert ta_classifier_key('layer_ca.0.memory_intermediate.dense.bias') == ''
    assert ta_classifier_key('head.extra.weight') is None
    with pytest.raises(CGSTVGConversionError, match='unknown keys'):
        convert_part({'t.layer_ca.0.x.weight': torch.zeros(1)}, 't.', '', ta_classifier_key)


def _fork_and_own(cls_name, own_cfg, *args):
    if not cgta.spec_exists(cgta.TASTVG_REPO, CLASSIFIER):
        pytest.skip('set MMSTVG_TASTVG_REPO to a checkout of HengLan/TA-STVG')
    mod = cgta.load_models_file(cgta.TASTVG_REPO, CLASSIFIER)
    ref = getattr(mod, cls_name)(256, *args).eval()
    cgta.random_init_(ref, seed=7)
    own = MODELS.build(own_cfg).eval()
    own.load_state_dict(convert_part(ref.state_dict(), '', '', ta_classifier_key), strict=True)
    return ref, own


def test_temporal_sampling_equal_to_fork():
    ref, own = _fork_and_own('TemporalSampling', dict(type='TextGuidedTemporalSampling'))
    feats, text = torch.randn(12, 256, 14, 10), torch.randn(1, 11, 256)
    with torch.no_grad():
        expected, got = ref(feats, text), own(feats, text)
    assert got.shape == expected.shape == (12, )
    assert (got - expected).abs().max() <= 1e-4


@pytest.mark.parametrize('num_frames', [1, 5])
def test_spatial_activation_equal_to_fork(num_frames):
    ref, own = _fork_and_own('SpatialActivation',
                             dict(type='AttributeSpatialActivation', num_classes=60), 60)
    feats, query = torch.randn(num_frames, 256, 14, 10), torch.randn(1, 1, 256)
    with torch.no_grad():
        exp_logits, exp_map = ref(feats, query)
        logits, maps = own(feats, query)
        exp_zero, _ = ref(feats)
        zero, _ = own(feats)
    assert logits.shape == exp_logits.shape == (1, 60)
    assert (logits - exp_logits).abs().max() <= 1e-4
    assert (maps - exp_map).abs().max() <= 1e-4
    assert (zero - exp_zero).abs().max() <= 1e-4
    # the fork's query initialisation (pipeline.py): tokens of the chosen frames times the map
    tokens = feats.flatten(2).transpose(1, 2)
    expected_query = (tokens * exp_map.unsqueeze(2)).mean((0, 1))
    assert (own.initial_query(tokens, maps) - expected_query).abs().max() <= 1e-4
