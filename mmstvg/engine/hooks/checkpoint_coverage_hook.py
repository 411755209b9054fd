"""Refuse a checkpoint whose weights do not cover the model (``after_load_checkpoint``).

mmengine's ``Runner.load_checkpoint`` loads with ``strict=False``: a checkpoint whose keys or
shapes match nothing of the model (an empty state dict, another model's checkpoint) only
logs a warning, and ``tools/test.py`` then evaluates a randomly initialised model and exits
with status 0. This hook checks every checkpoint the runner loads (``tools/test.py``,
``load_from`` and ``--resume`` of ``tools/train.py``) with
:func:`mmstvg.utils.checkpoint_safety.check_state_dict_coverage` before mmengine copies the
weights: each parameter and persistent buffer of the model must come from the checkpoint
with its shape, and the checkpoint must hold nothing else. A partial load on purpose (e.g.
fine-tuning from another model's weights) is allowed by ``allow_partial_load = True`` in the
config (``tools/test.py --allow-partial-load``); the differences are then logged.
"""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmstvg.registry import HOOKS
from mmstvg.utils.checkpoint_safety import check_state_dict_coverage


@HOOKS.register_module()
class CheckpointCoverageHook(Hook):
    """Check that a loaded checkpoint covers the model exactly (see the module docstring).

    The switch is the config's top-level ``allow_partial_load`` (default False), so that
    ``tools/test.py --allow-partial-load`` and ``--cfg-options allow_partial_load=True`` reach
    it.
    """

    priority = 'VERY_HIGH'  # before any other hook uses the checkpoint

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        filename = runner.cfg.get('load_from') or 'the loaded checkpoint'
        check_state_dict_coverage(
            model, checkpoint, filename, allow_partial=bool(runner.cfg.get('allow_partial_load')))
