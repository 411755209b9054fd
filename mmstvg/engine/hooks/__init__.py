from .checkpoint_coverage_hook import CheckpointCoverageHook
from .epoch_seed_hook import EpochSeedHook
from .stvg_visualization_hook import STVGVisualizationHook

__all__ = ['CheckpointCoverageHook', 'EpochSeedHook', 'STVGVisualizationHook']
