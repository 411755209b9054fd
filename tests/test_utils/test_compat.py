import subprocess
import sys

import numpy as np
import torch

import mmstvg  # noqa: F401  (applies the shims)


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
