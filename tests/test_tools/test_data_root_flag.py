"""--data-root as docs/user_guides/configs.md documents it: the shipped synthetic GKCMN config
trains (one epoch: the documented command plus ``--cfg-options train_cfg.max_epochs=1``) and
tests on the tiny synthetic benchmark kept in a temporary folder, run from a folder with no
data/ at all, so that nothing but the flag can point the datasets and the tokenizer there;
print_config.py shows the moved config."""
import os.path as osp

import pytest
from mmengine.config import Config

from mmstvg.testing import doc_sandbox, documented, import_script, run_documented

pytestmark = pytest.mark.slow
DOC = 'docs/user_guides/configs.md'
DOCUMENTED_ROOT = '/datasets/synth_stvg'
NAME = 'gkcmn_r3d18-tiny_1xb8-t32-8e_synth'


def test_one_flag_moves_the_synthetic_benchmark(tiny_synth_root, tmp_path, capsys):
    sandbox = doc_sandbox(str(tmp_path / 'sandbox'))  # no data/ folder
    root = str(tiny_synth_root)

    def command(*contains):
        return documented(DOC, DOCUMENTED_ROOT, *contains).replace(DOCUMENTED_ROOT, root)

    out = run_documented(
        command('tools/train.py', 'synth') + ' --cfg-options train_cfg.max_epochs=1', sandbox)
    assert 'Epoch(train) [1]' in out
    work = osp.join(sandbox, 'work_dirs', NAME)
    dumped = Config.fromfile(osp.join(work, f'{NAME}.py'))
    assert dumped.val_dataloader.dataset.data_root == root
    assert dumped.train_dataloader.dataset.pipeline[6].tokenizer.pretrained == \
        osp.join(root, 'tokenizer')
    out = run_documented(command('tools/test.py').replace('epoch_8.pth', 'epoch_1.pth'), sandbox)
    assert 'Epoch(test)' in out and 'm_vIoU' in out

    # print_config.py (in this process): the moved paths and the option
    argv = command('print_config.py').split()[2:]
    cfg = import_script('tools/misc/print_config.py').main(argv)
    assert cfg.test_dataloader.dataset.data_root == root
    assert cfg.train_dataloader.batch_size == 4
    assert f"data_root='{root}'" in capsys.readouterr().out
