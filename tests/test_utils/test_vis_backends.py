"""--vis-backends (mmstvg.utils.vis_backends): the shipped TensorBoard and WandB snippets are
added to a config's visualizer, which then builds them (WandB without network or login: the
backend starts wandb only when it first logs); unknown names and bad snippets are errors."""
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.visualization import TensorboardVisBackend, WandbVisBackend

from mmstvg.registry import VISUALIZERS
from mmstvg.utils import ConfigError, register_all_modules
from mmstvg.utils.vis_backends import add_vis_backends, available_vis_backends

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SYNTH = osp.join(REPO, 'configs', 'gkcmn', 'gkcmn_r3d18-tiny_1xb8-t32-8e_synth.py')


def _build(cfg, tmp_path, name):
    register_all_modules()
    vis_cfg = dict(cfg.visualizer.to_dict(), name=name, save_dir=str(tmp_path))
    return VISUALIZERS.build(vis_cfg)


def test_shipped_snippets():
    assert {'tensorboard', 'wandb'} <= set(available_vis_backends())


def test_tensorboard_and_wandb_are_added_and_build(tmp_path):
    cfg = Config.fromfile(SYNTH)
    added = add_vis_backends(cfg, ['tensorboard', 'wandb', 'tensorboard'])
    assert [b['type'] for b in added] == ['TensorboardVisBackend', 'WandbVisBackend']
    assert [b.type for b in cfg.visualizer.vis_backends] == \
        ['LocalVisBackend', 'TensorboardVisBackend', 'WandbVisBackend']
    assert cfg.visualizer.type == 'STVGVisualizer'
    visualizer = _build(cfg, tmp_path, 'vis_backends_test')
    kinds = [type(b) for b in visualizer._vis_backends.values()]
    assert TensorboardVisBackend in kinds and WandbVisBackend in kinds
    wandb = [b for b in visualizer._vis_backends.values() if isinstance(b, WandbVisBackend)][0]
    assert wandb._init_kwargs == dict(project='mmstvg')  # not started: no login, no network


def test_a_snippet_path_and_errors(tmp_path):
    cfg = Config.fromfile(SYNTH)
    mine = tmp_path / 'mine.py'
    mine.write_text("vis_backends = [dict(type='TensorboardVisBackend')]\n")
    assert add_vis_backends(cfg, [str(mine)])[0]['type'] == 'TensorboardVisBackend'
    assert add_vis_backends(cfg, None) == []
    with pytest.raises(ConfigError, match="no backend named 'tensorbord'.*tensorboard"):
        add_vis_backends(cfg, ['tensorbord'])
    bad = tmp_path / 'bad.py'
    bad.write_text("vis_backends = ['TensorboardVisBackend']\n")
    with pytest.raises(ConfigError, match='must define vis_backends'):
        add_vis_backends(cfg, [str(bad)])
