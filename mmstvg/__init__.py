"""mmstvg: spatio-temporal video grounding toolbox (OpenMMLab style).

``import mmstvg`` is light: it imports neither torch nor mmaction, so that the evaluation
tools and the annotation parsers start fast (issue 28). The shims for the pinned stack
(:mod:`mmstvg.utils.compat`) are applied when torch / ``mmaction.models`` are imported, by
whatever code imports them.
"""
from .utils.compat import install_compat
from .version import __version__

install_compat()

__all__ = ['__version__']
