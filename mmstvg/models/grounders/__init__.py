from .base_grounder import BaseGrounder
from .baseline_grounder import BaselineGrounder
from .trivial_grounder import TrivialGrounder

__all__ = ['BaseGrounder', 'BaselineGrounder', 'TrivialGrounder']
