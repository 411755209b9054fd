"""FSDP's auto-wrap policy by layer class name, for mmengine's ``FSDPStrategy`` from a config.

``FlexibleRunner`` with ``FSDPStrategy`` shards a model over the ranks (each rank holds a
slice of every parameter, gathered layer by layer as the forward reaches it), which is how a
7B multimodal LLM is fully fine-tuned (``docs/user_guides/mllm.md``). FSDP shards unit by
unit; the units are given by an auto-wrap policy, which mmengine's
``MMFullyShardedDataParallel`` takes by its name in the ``FUNCTIONS`` registry. transformers'
own unit for a model is its ``_no_split_modules`` (e.g. ``Qwen2_5_VLDecoderLayer`` and
``Qwen2_5_VLVisionBlock``), layer classes that a config names::

    strategy = dict(
        type='FSDPStrategy',
        model_wrapper=dict(
            auto_wrap_policy=dict(
                type='mmstvg.layer_class_wrap_policy',
                layer_cls_names=['Qwen2_5_VLDecoderLayer', 'Qwen2_5_VLVisionBlock']),
            use_orig_params=True))
"""
from typing import Sequence

import torch.nn as nn

from mmstvg.registry import FUNCTIONS


@FUNCTIONS.register_module()
def layer_class_wrap_policy(module: nn.Module,
                            recurse: bool,
                            nonwrapped_numel: int,
                            layer_cls_names: Sequence[str] = ()) -> bool:
    """Wrap every module whose class name is one of ``layer_cls_names`` as its own FSDP
    unit (torch's ``transformer_auto_wrap_policy``, with the classes given by name).

    Args:
        module (nn.Module): the module FSDP asks about.
        recurse (bool): FSDP asks whether to look inside ``module`` (always, here).
        nonwrapped_numel (int): parameters not yet wrapped (unused).
        layer_cls_names (Sequence[str]): the class names of the units.

    Returns:
        bool: whether to recurse (``recurse=True``) or to wrap ``module``.
    """
    if recurse:
        return True
    return type(module).__name__ in set(layer_cls_names)
