"""The TensorBoard command of docs/user_guides/train_test.md, run exactly as documented (from
a folder where data/synth_stvg is the tiny synthetic benchmark): the training writes
TensorBoard event files with the losses and the metrics. (The WandB command is checked up to
its arguments by tests/test_docs.py and its backend is built offline by
tests/test_utils/test_vis_backends.py.)"""
import glob
import os.path as osp

import pytest

from mmstvg.testing import doc_sandbox, documented, run_documented

pytestmark = pytest.mark.slow


def test_documented_tensorboard_command(tiny_synth_root, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    sandbox = doc_sandbox(str(tmp_path), data=dict(synth_stvg=tiny_synth_root))
    cmd = documented('docs/user_guides/train_test.md', 'tools/train.py',
                     '--vis-backends tensorboard')
    run_documented(cmd, sandbox)
    events = glob.glob(
        osp.join(sandbox, 'work_dirs', 'gkcmn_r3d18-tiny_1xb8-t32-8e_synth', '*', 'vis_data',
                 'events.out.tfevents.*'))
    assert len(events) == 1
    acc = EventAccumulator(events[0])
    acc.Reload()
    tags = set(acc.Tags()['scalars'])
    assert {'loss', 'lr', 'm_vIoU', 'm_tIoU'} <= tags, tags
    assert len(acc.Scalars('loss')) >= 1
