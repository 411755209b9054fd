from .annotations import dump_json, hcstvg_v1_record
from .docs import doc_commands, doc_sandbox, documented, run_documented
from .random_weights import ROBERTA_BASE, strip_pretrained
from .runner_configs import generate_tiny_synth, set_synthetic_data_root, tiny_synth_cfg
from .scripts import import_script
from .tiny_models import (BASELINE_CONFIG, BM_CONFIG, GKCMN_CONFIG, STVGFORMER_CONFIG,
                          STVGFORMER_HEATMAP_CONFIG, TINY_ROBERTA, TINY_SLOWFAST_BACKBONE,
                          TINY_VIDEO_BACKBONE, TUBEDETR_CONFIG, demo_grounding_inputs,
                          get_config_file, get_model_cfg, get_tiny_baseline_cfg,
                          get_tiny_gkcmn_cfg, get_tiny_stcat_cfg, get_tiny_stvgformer_cfg,
                          get_tiny_tubedetr_cfg)
from .videos import VFR_TIMESTAMPS, frame_index_of, ramp_frames, write_test_video, write_vfr_video

__all__ = [
    'dump_json', 'hcstvg_v1_record', 'doc_commands', 'doc_sandbox', 'documented', 'run_documented',
    'ROBERTA_BASE', 'strip_pretrained', 'generate_tiny_synth', 'set_synthetic_data_root',
    'tiny_synth_cfg', 'import_script', 'BASELINE_CONFIG', 'BM_CONFIG', 'GKCMN_CONFIG',
    'STVGFORMER_CONFIG', 'STVGFORMER_HEATMAP_CONFIG', 'TINY_ROBERTA', 'TINY_SLOWFAST_BACKBONE',
    'TINY_VIDEO_BACKBONE', 'TUBEDETR_CONFIG', 'demo_grounding_inputs', 'get_config_file',
    'get_model_cfg', 'get_tiny_baseline_cfg', 'get_tiny_gkcmn_cfg', 'get_tiny_stvgformer_cfg',
    'get_tiny_stcat_cfg', 'get_tiny_tubedetr_cfg', 'VFR_TIMESTAMPS', 'frame_index_of',
    'ramp_frames', 'write_test_video', 'write_vfr_video'
]
