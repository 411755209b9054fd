"""Behaviour of the existing configs is unchanged by the head interface of issue 15.

The goldens (``tests/data/grounder_golden``, written by its ``generate.py`` on the code before
the refactor) hold the losses and predicted tubes of every synthetic config's model, with
weights set from the parameter names (so the state-dict keys must not change either).
"""
import os.path as osp

import pytest
import torch

from mmstvg.testing import import_script
from mmstvg.testing.grounder_outputs import grounder_outputs

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(osp.dirname(HERE)))
_generate = import_script('tests/data/grounder_golden/generate.py')
CASES, golden_file = _generate.CASES, _generate.golden_file


@pytest.mark.parametrize(
    'config,num_passes', CASES, ids=[f'{osp.basename(c)[:-3]}-p{p}' for c, p in CASES])
def test_losses_and_tubes_match_golden(config, num_passes):
    expected = torch.load(golden_file(config, num_passes))
    actual = grounder_outputs(osp.join(ROOT, config), num_passes)
    assert sorted(actual) == sorted(expected)
    for key, value in expected.items():
        torch.testing.assert_close(actual[key], value, rtol=1e-5, atol=1e-5, msg=key)
