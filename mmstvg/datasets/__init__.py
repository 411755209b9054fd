# The annotation classes (parsing and validation, registry ANNOTATION_FORMATS) are imported
# here; they need no torch. The dataset classes (mmengine's BaseDataset, which imports torch)
# are imported on first use, so that the tools that only read annotations do not import torch
# (issue 28); the registry DATASETS imports their modules (DATASET_MODULES).
# Each component module adds its import line here (one line per module).
from mmstvg.utils.lazy_import import lazy_attributes
from .hcstvg_annotation import HCSTVGAnnotation  # noqa: F401
from .stvg_annotation import STVGAnnotation  # noqa: F401
from .synth_stvg_annotation import SynthSTVGAnnotation  # noqa: F401
from .vidstg_annotation import VidSTGAnnotation  # noqa: F401

#: the modules of the dataset classes (``mmstvg.registry.DATASETS`` imports them)
DATASET_MODULES = {
    'BaseSTVGDataset': '.base_stvg_dataset',
    'HCSTVGDataset': '.hcstvg_dataset',
    'SynthSTVGDataset': '.synth_stvg_dataset',
    'VidSTGDataset': '.vidstg_dataset',
}

__getattr__, __dir__ = lazy_attributes(__name__, globals(), DATASET_MODULES)

__all__ = [
    'HCSTVGAnnotation', 'STVGAnnotation', 'SynthSTVGAnnotation', 'VidSTGAnnotation',
    *DATASET_MODULES
]
