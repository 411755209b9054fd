# Each transform module adds its import line here (one line per module).
from .antialias_resize import AntialiasResize  # noqa: F401
from .detr_random_size_crop import DETRRandomSizeCrop  # noqa: F401
from .detr_resize import DETRResize  # noqa: F401
from .load_stvg_features import LoadSTVGFeatures  # noqa: F401
from .load_tube_targets import LoadTubeTargets  # noqa: F401
from .pack_stvg_inputs import PackSTVGInputs  # noqa: F401
from .resize_for_mllm import ResizeForMLLM  # noqa: F401
from .sample_mllm_frames import SampleMLLMFrames  # noqa: F401
from .sample_stcat_frames import SampleSTCATFrames  # noqa: F401
from .sample_stvg_frames import SampleSTVGFrames  # noqa: F401
from .sample_tubedetr_frames import SampleTubeDETRFrames  # noqa: F401
from .stvg_crop import STVGCrop  # noqa: F401
from .stvg_decord_decode import STVGDecordDecode  # noqa: F401
from .stvg_flip import STVGFlip  # noqa: F401
from .stvg_pyav_decode import STVGPyAVDecode  # noqa: F401
from .tokenize_text import TokenizeText  # noqa: F401
from .tokenize_words import TokenizeWords  # noqa: F401
