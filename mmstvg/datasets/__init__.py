# Each component module adds its import line here (one line per module).
from .base_stvg_dataset import BaseSTVGDataset  # noqa: F401
from .hcstvg_dataset import HCSTVGDataset  # noqa: F401
from .synth_stvg_dataset import SynthSTVGDataset  # noqa: F401
from .vidstg_dataset import VidSTGDataset  # noqa: F401
