"""tools/model_converters/publish_model.py on a real training checkpoint: the sha256 prefix
in the name, the training state dropped, a file that plain ``torch.load(weights_only=True)``
reads (checked in a fresh interpreter) and that ``init_grounder`` loads."""
import hashlib
import os
import os.path as osp
import re

import numpy as np
import pytest
import torch

from mmstvg.apis import init_grounder
from mmstvg.testing import import_script
from mmstvg.utils.checkpoint_safety import safe_torch_load
from mmstvg.utils.path_guard import OverwriteInputError

publish = import_script('tools/model_converters/publish_model.py')


def test_publish_a_training_checkpoint(trained, tmp_path, capsys):
    cfg, ckpt = trained
    training = safe_torch_load(ckpt)
    assert {'optimizer', 'message_hub', 'param_schedulers'} <= set(training)
    out = str(tmp_path / 'pub' / 'tiny_20261207.pth')
    result = publish.main([ckpt, out, '--url-base', 'https://example.org/rel/v0.1.0/'])
    final = result['path']
    sha = hashlib.sha256(open(final, 'rb').read()).hexdigest()
    assert final == str(tmp_path / 'pub' / f'tiny_20261207-{sha[:8]}.pth')
    assert os.listdir(tmp_path / 'pub') == [osp.basename(final)]  # no temporary file left
    printed = capsys.readouterr().out
    assert f'Weights: https://example.org/rel/v0.1.0/{osp.basename(final)}' in printed
    assert 'dropped: message_hub, optimizer, param_schedulers' in printed
    assert osp.getsize(final) < osp.getsize(ckpt) / 2
    # torch.load(weights_only=True) without mmstvg's allow-list: done by the tool in a fresh
    # interpreter (a refusal fails it: next test); here in this process
    published = torch.load(final, map_location='cpu', weights_only=True)
    assert set(published) == {'meta', 'state_dict'}
    assert published['meta']['epoch'] == training['meta']['epoch']
    for key, value in training['state_dict'].items():
        assert torch.equal(published['state_dict'][key], value), key
    model = init_grounder(cfg, final)  # the coverage check passes: every weight is there
    for key, value in model.state_dict().items():
        assert torch.equal(value, training['state_dict'][key]), key
    # torch.hub's check_hash reads the same prefix from the name
    assert re.search(r'-([a-f0-9]*)\.', osp.basename(final)).group(1) == sha[:8]


def test_output_that_plain_torch_refuses_is_not_published(tmp_path):
    """An object outside torch's default allow-list in ``meta`` (here a numpy array, which
    mmstvg's allow-list accepts) would make every downloader's safe load fail."""
    src = str(tmp_path / 'ckpt.pth')
    torch.save(dict(state_dict={'w': torch.ones(2)}, meta=dict(scores=np.zeros(2))), src)
    with pytest.raises(RuntimeError, match='does not load with torch.load\\(weights_only=True'):
        publish.main([src, str(tmp_path / 'out.pth')])
    assert sorted(os.listdir(tmp_path)) == ['ckpt.pth']
    # without the offending key it publishes
    result = publish.main([src, str(tmp_path / 'out.pth'), '--save-keys', 'state_dict'])
    assert set(torch.load(result['path'], weights_only=True)) == {'state_dict'}


def test_bare_state_dict_and_refusals(tmp_path):
    src = str(tmp_path / 'weights.pth')
    torch.save({'w': torch.arange(3.)}, src)
    result = publish.main([src, str(tmp_path / 'w.pth')])
    assert torch.equal(
        torch.load(result['path'], weights_only=True)['state_dict']['w'], torch.arange(3.))
    with pytest.raises(OverwriteInputError):
        publish.main([src, src])
    torch.save(dict(meta={}, optimizer={}), src)
    with pytest.raises(ValueError, match='no state_dict to publish'):
        publish.main([src, str(tmp_path / 'x.pth')])
