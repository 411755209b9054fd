"""mmstvg's registries: children of mmengine's root registries, scope ``mmstvg``.

There is one child for every root registry of mmengine (as in mmdet / mmaction2), so that a
component built under the default scope ``mmstvg`` is looked up here first and then in
mmengine's root, without mmengine's warning "Failed to search registry with scope 'mmstvg'"
(``WEIGHT_INITIALIZERS``: the ``init_cfg`` of every model; ``tests/test_registry.py`` checks
that no root lacks its child).

mmdet / mmaction2 components are used from configs with their scope prefix
(``type='mmdet.GIoULoss'``, ``type='mmaction.PyAVDecode'``); they are never re-registered.

Five registries have no mmengine root, being mmstvg's own kinds (scope ``mmstvg``; the first
two are a :class:`LocalRegistry`, used without torch):
``EVAL_PROTOCOLS`` (how a query is scored: ``STVGMetric(protocol=...)``,
``eval_submission.py --protocol``), ``ANNOTATION_FORMATS`` (the dataset class that parses a
bare annotation file given to a tool, and how a file of that format is recognised), and for
the multimodal LLM grounders ``PROMPT_TEMPLATES`` (the conversation asking for a tube),
``ANSWER_PARSERS`` (the answer text <-> a tube in original frames and pixels) and ``REWARDS``
(scores of an answer for reinforcement learning).
"""
from importlib import import_module

from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import INFERENCERS as MMENGINE_INFERENCERS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import RUNNER_CONSTRUCTORS as MMENGINE_RUNNER_CONSTRUCTORS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import STRATEGIES as MMENGINE_STRATEGIES
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry


class LocalRegistry(Registry):
    """A registry of mmstvg's own kinds (no mmengine root, scope ``mmstvg``) whose names are
    looked up, and objects built, without mmengine's debug log lines: creating mmengine's
    logger imports torch, which the tools that use these registries do not need (issue 28).
    Anything but a plain registered name (a scoped name, an object) goes to ``Registry``.

    Args:
        name (str): the registry's name.
        locations (list[str]): the modules that register its components.
    """

    def __init__(self, name: str, locations: list) -> None:
        super().__init__(name, scope='mmstvg', locations=locations)
        self.module_locations = list(locations)

    def import_from_location(self) -> None:
        """Import the modules of ``locations`` (already imported ones cost nothing)."""
        for location in self.module_locations:
            import_module(location)

    def get(self, key):
        """The class registered as ``key``."""
        self.import_from_location()
        if isinstance(key, str) and key in self.module_dict:
            return self.module_dict[key]
        return super().get(key)

    def build(self, cfg: dict, *args, **kwargs):
        """``cfg['type']`` built with the other keys of ``cfg``."""
        cfg = dict(cfg)
        obj_type = cfg.pop('type')
        obj_cls = self.get(obj_type) if isinstance(obj_type, str) else obj_type
        if obj_cls is None:
            raise KeyError(f'{obj_type} is not in the mmstvg::{self.name} registry')
        return obj_cls(*args, **cfg, **kwargs)


RUNNERS = Registry('runner', parent=MMENGINE_RUNNERS, locations=['mmstvg.engine'])
RUNNER_CONSTRUCTORS = Registry(
    'runner constructor', parent=MMENGINE_RUNNER_CONSTRUCTORS, locations=['mmstvg.engine'])
STRATEGIES = Registry('strategy', parent=MMENGINE_STRATEGIES, locations=['mmstvg.engine'])
LOOPS = Registry('loop', parent=MMENGINE_LOOPS, locations=['mmstvg.engine'])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, locations=['mmstvg.engine.hooks'])
# the dataset classes import torch (mmengine's BaseDataset): their modules are named, since
# ``mmstvg.datasets`` imports them lazily (issue 28)
DATASETS = Registry(
    'dataset',
    parent=MMENGINE_DATASETS,
    locations=[
        'mmstvg.datasets.base_stvg_dataset', 'mmstvg.datasets.hcstvg_dataset',
        'mmstvg.datasets.synth_stvg_dataset', 'mmstvg.datasets.vidstg_dataset'
    ])
DATA_SAMPLERS = Registry(
    'data sampler', parent=MMENGINE_DATA_SAMPLERS, locations=['mmstvg.datasets'])
TRANSFORMS = Registry(
    'transform', parent=MMENGINE_TRANSFORMS, locations=['mmstvg.datasets.transforms'])
FUNCTIONS = Registry(
    'function', parent=MMENGINE_FUNCTIONS, locations=['mmstvg.datasets', 'mmstvg.engine'])
MODELS = Registry('model', parent=MMENGINE_MODELS, locations=['mmstvg.models'])
MODEL_WRAPPERS = Registry(
    'model_wrapper', parent=MMENGINE_MODEL_WRAPPERS, locations=['mmstvg.models'])
WEIGHT_INITIALIZERS = Registry(
    'weight initializer', parent=MMENGINE_WEIGHT_INITIALIZERS, locations=['mmstvg.models'])
TASK_UTILS = Registry('task util', parent=MMENGINE_TASK_UTILS, locations=['mmstvg.models'])
OPTIMIZERS = Registry('optimizer', parent=MMENGINE_OPTIMIZERS, locations=['mmstvg.engine'])
OPTIM_WRAPPERS = Registry(
    'optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS, locations=['mmstvg.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
    locations=['mmstvg.engine'])
PARAM_SCHEDULERS = Registry(
    'parameter scheduler', parent=MMENGINE_PARAM_SCHEDULERS, locations=['mmstvg.engine'])
# the metrics import torch (mmengine's BaseMetric): ``mmstvg.evaluation`` imports them lazily
METRICS = Registry('metric', parent=MMENGINE_METRICS, locations=['mmstvg.evaluation.metrics'])
EVALUATOR = Registry(
    'evaluator', parent=MMENGINE_EVALUATOR, locations=['mmstvg.evaluation.metrics'])
VISUALIZERS = Registry(
    'visualizer', parent=MMENGINE_VISUALIZERS, locations=['mmstvg.visualization'])
VISBACKENDS = Registry(
    'vis_backend', parent=MMENGINE_VISBACKENDS, locations=['mmstvg.visualization'])
LOG_PROCESSORS = Registry(
    'log_processor', parent=MMENGINE_LOG_PROCESSORS, locations=['mmstvg.engine'])
INFERENCERS = Registry('inferencer', parent=MMENGINE_INFERENCERS, locations=['mmstvg.apis'])
EVAL_PROTOCOLS = LocalRegistry('eval protocol', locations=['mmstvg.evaluation.protocols'])
ANNOTATION_FORMATS = LocalRegistry('annotation format', locations=['mmstvg.datasets'])
PROMPT_TEMPLATES = Registry(
    'prompt template', scope='mmstvg', locations=['mmstvg.models.mllm.templates'])
ANSWER_PARSERS = Registry(
    'answer parser', scope='mmstvg', locations=['mmstvg.models.mllm.parsers'])
REWARDS = Registry('reward', scope='mmstvg', locations=['mmstvg.models.mllm.rewards'])
