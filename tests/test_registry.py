"""mmstvg.registry has a child for every root registry of mmengine (as mmdet / mmaction2
do): building under the default scope ``mmstvg`` then finds mmstvg's registry instead of
falling back to the root with mmengine's warning "Failed to search registry with scope
'mmstvg' in the '<name>' registry tree" (it was logged at every run for the weight
initializers of ``init_cfg``)."""
import logging

import mmengine.registry as mmengine_registry
import pytest
import torch.nn as nn
from mmengine.logging import MMLogger
from mmengine.model import initialize
from mmengine.registry import DefaultScope, Registry

import mmstvg.registry as mmstvg_registry
from mmstvg.utils import register_all_modules

ROOTS = sorted(
    name for name in dir(mmengine_registry)
    if isinstance(getattr(mmengine_registry, name), Registry) and name.isupper())


def test_mmengine_has_roots():
    assert {'MODELS', 'WEIGHT_INITIALIZERS', 'METRICS', 'VISBACKENDS'} <= set(ROOTS)


@pytest.mark.parametrize('name', ROOTS)
def test_every_root_has_an_mmstvg_child(name):
    root = getattr(mmengine_registry, name)
    child = root.children.get('mmstvg')
    assert child is not None, f'mmstvg.registry has no child of mmengine.registry.{name}'
    assert child.parent is root
    assert [r for r in vars(mmstvg_registry).values() if r is child], \
        f'the child of {name} is not a name of mmstvg.registry'


class _Records(logging.Handler):

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_init_cfg_under_the_mmstvg_scope_warns_nothing():
    register_all_modules(init_default_scope=False)
    records = _Records()
    logger = MMLogger.get_current_instance()
    logger.addHandler(records)
    try:
        with DefaultScope.overwrite_default_scope('mmstvg'):
            initialize(nn.Linear(2, 2), dict(type='Constant', layer='Linear', val=1.0))
    finally:
        logger.removeHandler(records)
    assert not [m for m in records.messages if 'Failed to search registry' in m]
