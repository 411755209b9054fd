from .base_grounder import BaseGrounder
from .baseline_grounder import BaselineGrounder
from .gkcmn import GKCMN
from .mllm_grounder import MLLMGrounder
from .stcat import STCAT
from .stvgformer import STVGFormer
from .trivial_grounder import TrivialGrounder
from .tubedetr import TubeDETR

__all__ = [
    'BaseGrounder', 'BaselineGrounder', 'GKCMN', 'MLLMGrounder', 'STCAT', 'STVGFormer',
    'TrivialGrounder', 'TubeDETR'
]
