"""Attributes of a package imported on first use (PEP 562), so that importing the package
does not import torch (issue 28).

A package's ``__init__`` imports its torch-free names as usual and declares the others::

    __getattr__, __dir__ = lazy_attributes(__name__, globals(), {
        'STVGDataSample': '.stvg_data_sample',
    })

``from mmstvg.structures import STVGDataSample`` (or attribute access) then imports
``mmstvg.structures.stvg_data_sample`` at that moment.
"""
import importlib
from typing import Callable, Dict, List, Tuple


def lazy_attributes(package: str, namespace: dict,
                    attributes: Dict[str, str]) -> Tuple[Callable, Callable]:
    """``(__getattr__, __dir__)`` of a package whose ``attributes`` (name -> relative module)
    are imported on first use.

    Args:
        package (str): the package's ``__name__``.
        namespace (dict): its ``globals()`` (an imported attribute is cached there).
        attributes (dict[str, str]): attribute name -> module (relative to ``package``) that
            defines it.
    """

    def __getattr__(name: str):
        module = attributes.get(name)
        if module is None:
            raise AttributeError(f'module {package!r} has no attribute {name!r}')
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value
        return value

    def __dir__() -> List[str]:
        return sorted(set(namespace) | set(attributes))

    return __getattr__, __dir__
