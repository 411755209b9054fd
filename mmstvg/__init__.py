"""mmstvg: spatio-temporal video grounding toolbox (OpenMMLab style)."""
from .utils.compat import apply_compat
from .version import __version__

# Shims for the pinned stack must be in place before any mmaction/mmengine checkpoint use.
apply_compat()

__all__ = ['__version__']
