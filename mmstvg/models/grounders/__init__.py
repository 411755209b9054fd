from .base_grounder import BaseGrounder
from .baseline_grounder import BaselineGrounder
from .stvgformer import STVGFormer
from .trivial_grounder import TrivialGrounder

__all__ = ['BaseGrounder', 'BaselineGrounder', 'STVGFormer', 'TrivialGrounder']
