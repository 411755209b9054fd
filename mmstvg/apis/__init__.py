from .inference import STVGPrediction, inference_grounder, init_grounder
from .stvg_inferencer import STVGInferencer

__all__ = ['STVGPrediction', 'init_grounder', 'inference_grounder', 'STVGInferencer']
