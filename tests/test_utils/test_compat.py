import os.path as osp
import subprocess
import sys

import numpy as np
import torch

import mmstvg  # noqa: F401  (applies the shims)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _fresh(code: str) -> None:
    """Run ``code`` in a fresh interpreter with the repository first on its path."""
    subprocess.run([sys.executable, '-c', code], check=True, cwd=REPO)


def test_import_mmstvg_imports_neither_torch_nor_mmaction():
    """Issue 28: ``import mmstvg`` (and the annotation / evaluation packages) are light; the
    shims wait for the imports they fix."""
    _fresh('import sys, mmstvg, mmstvg.datasets, mmstvg.evaluation, mmstvg.structures; '
           'assert "torch" not in sys.modules, "torch"; '
           'assert "mmaction" not in sys.modules, "mmaction"')


def test_shim3_applies_when_torch_is_imported_after_mmstvg(tmp_path):
    """The checkpoint allow-list is in place once torch is imported, by whatever code."""
    _fresh('import mmstvg, numpy as np, torch; '
           'from mmengine.logging import MessageHub; '
           'hub = MessageHub.get_instance("t"); hub.update_scalar("loss", 0.5); '
           f'p = {str(tmp_path / "c.pth")!r}; '
           'torch.save(dict(m=np.float64(1.5), a=np.arange(3), h=hub.state_dict()), p); '
           'out = torch.load(p, weights_only=True); '
           'assert out["m"] == 1.5 and out["h"]["log_scalars"]["loss"].current() == 0.5; '
           'assert torch.__spec__.loader is torch.__loader__')


def test_mmaction_models_through_the_registry_in_fresh_interpreter():
    """Shims 1 and 2 when ``mmaction.models`` is imported by a registry lookup (what building
    a config's ``mmaction.`` model does), not by mmstvg itself."""
    _fresh('import sys, mmstvg; from mmstvg.registry import MODELS; '
           'assert "mmaction.models" not in sys.modules; '
           'assert MODELS.get("mmaction.ResNet3dSlowFast") is not None; '
           'import mmaction.utils.dependency as d; assert not d.WITH_MULTIMODAL; '
           'from mmaction.models.localizers.drn.drn import DRN')


def test_mmaction_models_import_in_fresh_interpreter():
    """Shims 1 and 2: `import mmaction.models` works once mmstvg is imported."""
    code = ('import mmstvg, mmaction.models, mmaction.utils.dependency as d; '
            'from mmaction.registry import MODELS; '
            'assert not d.WITH_MULTIMODAL; assert MODELS.get("ResNet3dSlowFast")')
    subprocess.run([sys.executable, '-c', code], check=True)


def test_missing_drn_placeholder_raises_clearly():
    from mmaction.models.localizers.drn.drn import DRN
    try:
        DRN()
    except ImportError as e:
        assert '2714' in str(e)
    else:
        raise AssertionError('DRN placeholder must raise')


def test_mmengine_checkpoint_loads_with_weights_only(tmp_path):
    """Shim 3: what mmengine puts in a checkpoint loads with torch's safe loader."""
    from mmengine.logging import MessageHub
    hub = MessageHub.get_instance('compat-test')
    hub.update_scalar('train/loss', 0.5)
    hub.update_info('iter', 3)
    ckpt = dict(
        meta=dict(
            epoch=1,
            iter=3,
            seed=0,
            np_scalar=np.float64(1.5),
            np_array=np.arange(3),
            np_int=np.int64(7)),
        state_dict=dict(w=torch.ones(2)),
        message_hub=hub.state_dict())
    path = tmp_path / 'ckpt.pth'
    torch.save(ckpt, path)
    loaded = torch.load(path, weights_only=True)
    assert loaded['meta']['np_scalar'] == 1.5
    assert loaded['meta']['np_array'].tolist() == [0, 1, 2]
    assert loaded['message_hub']['log_scalars']['train/loss'].current() == 0.5


def test_runner_cfg_keys_are_what_mmengine_reads():
    """Shim 4: the keys mmengine's Runner reads from the config besides its __init__
    arguments, re-derived from its source. Fails when an mmengine upgrade reads others:
    then update MMENGINE_RUNNER_CFG_KEYS."""
    import inspect
    import re

    from mmengine.runner import Runner

    from mmstvg.utils.compat import MMENGINE_RUNNER_CFG_KEYS
    reads = set(
        re.findall(r'''(?<![\w.])(?:self\.)?cfg(?:\.get\(|\[)\s*['"](\w+)['"]''',
                   inspect.getsource(Runner)))
    init = set(inspect.signature(Runner.__init__).parameters) - {'self', 'cfg'}
    assert reads - init == set(MMENGINE_RUNNER_CFG_KEYS)


def test_package_config_path_resolves_an_mmdet_base():
    """Shim 5: mmengine's private Config._get_cfg_path still resolves `mmdet::` bases."""
    import os.path as osp

    from mmstvg.utils.compat import package_config_path
    path, scope = package_config_path('mmdet::_base_/default_runtime.py', __file__)
    assert scope == 'mmdet' and osp.isfile(path)
    assert path.replace('\\', '/').endswith('_base_/default_runtime.py')


def test_local_checkpoint_loader_is_scoped(tmp_path):
    """Shim 6: mmstvg's loader reads local checkpoints inside the block only; importing
    mmstvg leaves mmengine's own loader in place (no global side effect)."""
    from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint

    from mmstvg.engine import safe_checkpoint_loading
    from mmstvg.utils.checkpoint_safety import CorruptCheckpointError
    code = ('import mmstvg, mmstvg.engine; '
            'from mmengine.runner.checkpoint import CheckpointLoader, load_from_local; '
            'assert CheckpointLoader._get_checkpoint_loader("x.pth") is load_from_local')
    subprocess.run([sys.executable, '-c', code], check=True)
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    before = CheckpointLoader._get_checkpoint_loader(str(empty))
    with safe_checkpoint_loading():
        try:
            _load_checkpoint(str(empty), map_location='cpu')
        except CorruptCheckpointError as e:
            assert str(empty) in str(e)
        else:
            raise AssertionError('an empty checkpoint must be refused')
    assert CheckpointLoader._get_checkpoint_loader(str(empty)) is before


def test_pyav_converts_frames_in_a_forked_child():
    """Shim 7: a frame converted in the parent (PyAV caches the thread's reformatter and its
    slice threads), then one in a forked child (a DataLoader worker): with PyAV 18.1.1 and no
    shim the child waits forever for slice threads it does not have."""
    _fresh('import multiprocessing as mp, numpy as np, av, mmstvg\n'
           'def rgb(): return av.VideoFrame.from_ndarray(np.full((48, 64, 3), 90, np.uint8), '
           'format="rgb24").reformat(format="yuv420p").to_ndarray(format="rgb24")\n'
           'def child(q): q.put(int(rgb()[0, 0, 0]))\n'
           'assert abs(int(rgb()[0, 0, 0]) - 90) <= 2\n'
           'ctx = mp.get_context("fork"); q = ctx.Queue()\n'
           'p = ctx.Process(target=child, args=(q,)); p.start(); p.join(60)\n'
           'hung = p.is_alive()\n'
           'if hung: p.kill()\n'
           'assert not hung and p.exitcode == 0, "the forked child hung converting a frame"\n'
           'assert abs(q.get(timeout=5) - 90) <= 2\n')
