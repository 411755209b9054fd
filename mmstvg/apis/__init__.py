from .inference import STVGPrediction, inference_grounder, init_grounder

__all__ = ['STVGPrediction', 'init_grounder', 'inference_grounder']
