"""Config mistakes through the tools, as a user runs them: each stops before the runner is
built (no work dir is made), with a message naming the file or the key.

- ``--cfg-options train_cfg.max_epochs=abc``: the key and the expected type (mmengine
  built the runner, then failed with ``invalid literal for int()``);
- ``_base_`` files that name each other: the chain (mmengine: ``RecursionError``);
- a syntax error in a ``_base_`` file: the file, the line and its text (mmengine:
  ``<unknown>``).
"""
import os
import os.path as osp
import subprocess
import sys

from .conftest import REPO, tiny_synth_cfg


def _fail(*args):
    proc = subprocess.run([sys.executable, *args],
                          cwd=REPO,
                          env=dict(os.environ, PYTHONPATH=REPO),
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode != 0, proc.stdout[-2000:]
    return proc.stderr


def test_bad_cfg_option_type_stops_train_py_before_the_runner(tmp_path):
    # no data is read: the tool must stop before anything is built
    cfg = tiny_synth_cfg(str(tmp_path / 'no_data'), str(tmp_path / 'work'), max_epochs=1)
    cfg_file = str(tmp_path / 'tiny.py')
    cfg.dump(cfg_file)
    err = _fail('tools/train.py', cfg_file, '--work-dir', str(tmp_path / 'w'), '--cfg-options',
                'train_cfg.max_epochs=abc')
    last = err.strip().splitlines()[-1]
    assert last == ("mmstvg.utils.config_check.ConfigError: --cfg-options "
                    "train_cfg.max_epochs='abc': expected int (EpochBasedTrainLoop(max_epochs: "
                    'int); the config has 1), got str'), err[-3000:]
    assert 'Runner' not in err and not osp.exists(tmp_path / 'w')


def test_config_file_errors_through_the_tools(tmp_path):
    cfg_dir = tmp_path / 'configs'
    cfg_dir.mkdir()
    (cfg_dir / 'a.py').write_text("_base_ = ['b.py']\n")
    (cfg_dir / 'b.py').write_text("_base_ = ['a.py']\n")
    a = str(cfg_dir / 'a.py')
    err = _fail('tools/test.py', a, '--work-dir', str(tmp_path / 'w'))
    assert err.strip().splitlines()[-1].startswith(
        'mmstvg.utils.config_check.CircularBaseError: circular _base_: '
        f'{a} -> {cfg_dir / "b.py"} -> {a} ('), err[-3000:]
    assert 'RecursionError' not in err
    (cfg_dir / 'b.py').write_text("model = dict(\n    type='TrivialGrounder'\n    x=1)\n")
    err = _fail('tools/train.py', a, '--work-dir', str(tmp_path / 'w'))
    assert f'ConfigSyntaxError: syntax error in config file {cfg_dir / "b.py"}, line 2, ' in err
    assert "    type='TrivialGrounder'\n" in err and f'is a _base_ of {a}: {a} -> ' in err
    assert '<unknown>' not in err and not osp.exists(tmp_path / 'w')
