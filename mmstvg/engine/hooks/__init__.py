from .stvg_visualization_hook import STVGVisualizationHook

__all__ = ['STVGVisualizationHook']
