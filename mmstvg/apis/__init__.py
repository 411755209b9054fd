from .inference import STVGPrediction, inference_grounder, init_grounder, probe_video

__all__ = ['STVGPrediction', 'init_grounder', 'inference_grounder', 'probe_video']
