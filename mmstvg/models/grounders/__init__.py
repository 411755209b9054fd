from .base_grounder import BaseGrounder
from .baseline_grounder import BaselineGrounder
from .cgstvg import CGSTVG
from .gkcmn import GKCMN
from .mllm_grounder import MLLMGrounder
from .stcat import STCAT
from .stvgformer import STVGFormer
from .tastvg import TASTVG
from .trivial_grounder import TrivialGrounder
from .tubedetr import TubeDETR

__all__ = [
    'BaseGrounder', 'BaselineGrounder', 'CGSTVG', 'GKCMN', 'MLLMGrounder', 'STCAT', 'STVGFormer',
    'TASTVG', 'TrivialGrounder', 'TubeDETR'
]
