"""Record the losses and predictions of every synthetic config's model (golden values).

The goldens in this folder were written by this script on commit f92ced3 (main before the
common head interface of issue 15), so that
``tests/test_models/test_grounders/test_golden_outputs.py`` proves the refactored heads and
grounders compute the same losses and tubes. Rerun it only on purpose (a deliberate change of
behaviour), and say so in the commit message::

    PYTHONPATH=$PWD python tests/data/grounder_golden/generate.py
"""
import os.path as osp

import torch

from mmstvg.testing.grounder_outputs import grounder_outputs
from mmstvg.utils import register_all_modules

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(osp.dirname(HERE)))

# (config, num_passes): every synthetic config with trainable heads, STVGFormer also with
# multi-pass inference
CASES = [
    ('configs/baselines/baseline_r18-c16-s8_1xb8-t32-8e_synth.py', 1),
    ('configs/gkcmn/gkcmn_r3d18-tiny_1xb8-t32-8e_synth.py', 1),
    ('configs/gkcmn/gkcmn_r3d18-tiny-wo-mn_1xb8-t32-8e_synth.py', 1),
    ('configs/gkcmn/gkcmn_r3d18-tiny-wo-pc_1xb8-t32-8e_synth.py', 1),
    ('configs/gkcmn/gkcmn_r3d18-tiny-wo-sc_1xb8-t32-8e_synth.py', 1),
    ('configs/gkcmn/gkcmn_r3d18-tiny-wo-sk_1xb8-t32-8e_synth.py', 1),
    ('configs/gkcmn/gkcmn_r3d18-tiny-wo-ta_1xb8-t32-8e_synth.py', 1),
    ('configs/gkcmn/bm_r3d18-tiny_1xb8-t32-8e_synth.py', 1),
    ('configs/stvgformer/stvgformer_r18-c16-slowfast-tiny_1xb8-t32-8e_synth.py', 1),
    ('configs/stvgformer/stvgformer_r18-c16-slowfast-tiny_1xb8-t32-8e_synth.py', 2),
    ('configs/stvgformer/stvgformer_r18-c16-slowfast-tiny-wo-d2s_1xb8-t32-8e_synth.py', 1),
    ('configs/stvgformer/stvgformer_r18-c16-slowfast-tiny-wo-s2d_1xb8-t32-8e_synth.py', 1),
    ('configs/stvgformer/stvgformer_r18-c16-slowfast-tiny-wo-interaction_1xb8-t32-8e_synth.py', 1),
    ('configs/stvgformer/stvgformer_r18-c16-slowfast-tiny-heatmap-head_1xb8-t32-8e_synth.py', 1),
    ('configs/stvgformer/stvgformer_r18-c16-slowfast-tiny-heatmap-head_1xb8-t32-8e_synth.py', 2),
]


def golden_file(config: str, num_passes: int) -> str:
    name = osp.splitext(osp.basename(config))[0]
    return osp.join(HERE, f'{name}_p{num_passes}.pth')


def main():
    register_all_modules()
    for config, num_passes in CASES:
        out = grounder_outputs(osp.join(ROOT, config), num_passes)
        torch.save(out, golden_file(config, num_passes))
        print(config, num_passes, {k: tuple(v.shape) for k, v in out.items()})


if __name__ == '__main__':
    main()
