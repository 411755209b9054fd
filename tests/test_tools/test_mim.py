"""``mim search / train / test / download mmstvg``, run as a user runs them (openmim's CLI in
a subprocess), against mmstvg installed from a wheel built from this checkout, as mmaction2 is
installed from PyPI: setup.py's ``add_mim_extension`` must have put the configs, tools and
model index into the wheel's ``mmstvg/.mim``.

The wheel is a release in which a maintainer has published the synthetic baseline's checkpoint
(docs/model_zoo/publishing.md): ``publish_model.py`` named it, the release is served on
localhost, and the metafile's ``Weights:`` points there; ``mim download`` fetches it and the
model runs from what it wrote.

The editable install that ``tools/setup_env.sh`` makes (compat mode + ``tools/misc/link_mim.py``)
is checked in the environment that runs the tests, where that environment was set up from
this checkout (CI, ``make test``).
"""
import functools
import hashlib
import http.server
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import threading
from importlib import metadata

import pytest
import torch
import yaml
from mmengine.config import Config

from mmstvg.apis import inference_grounder, init_grounder
from mmstvg.registry import MODELS
from mmstvg.testing import import_script, set_synthetic_data_root, tiny_synth_cfg
from mmstvg.utils import register_all_modules
from .conftest import REPO

pytest.importorskip('mim', reason='openmim is not installed (requirements/optional.txt)')
pytestmark = pytest.mark.slow

PUBLISHED = 'baseline_r18-c16-s8_1xb8-t32-8e_synth'
CHECKOUT = ('setup.py', 'setup.cfg', 'MANIFEST.in', 'README.md', 'requirements', 'mmstvg',
            'configs', 'tools', 'demo', 'model-index.yml')


class _QuietHandler(http.server.SimpleHTTPRequestHandler):

    def log_message(self, *args):
        pass


@pytest.fixture(scope='module')
def release(tmp_path_factory):
    """A checkout copy whose metafile publishes PUBLISHED's checkpoint on a localhost server,
    built into a wheel and installed into a folder of its own; yields (site dir, the
    published file, the environment that makes the wheel's mmstvg the installed one)."""
    tmp = tmp_path_factory.mktemp('mim')
    served = tmp / 'release'
    served.mkdir()
    server = http.server.ThreadingHTTPServer(
        ('127.0.0.1', 0), functools.partial(_QuietHandler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        # the maintainer's steps: a trained checkpoint (here the config's initial weights),
        # publish_model.py, upload, the Weights line
        register_all_modules()
        cfg = Config.fromfile(osp.join(REPO, 'configs', 'baselines', f'{PUBLISHED}.py'))
        training = str(tmp / 'epoch_8.pth')
        torch.save(
            dict(
                state_dict=MODELS.build(cfg.model).state_dict(),
                optimizer=dict(state={}),
                meta=dict(epoch=8)), training)
        publish = import_script('tools/model_converters/publish_model.py')
        published = publish.process_checkpoint(training, str(served / f'{PUBLISHED}_20261207.pth'))
        url = f'http://127.0.0.1:{server.server_port}/{osp.basename(published["path"])}'

        src = tmp / 'src'
        src.mkdir()
        for name in CHECKOUT:
            path = osp.join(REPO, name)
            if osp.isdir(path):
                shutil.copytree(
                    path,
                    src / name,
                    ignore=shutil.ignore_patterns('__pycache__', '*.pyc', '.mim', '*.egg-info'))
            else:
                shutil.copy(path, src / name)
        metafile = src / 'configs' / 'baselines' / 'metafile.yml'
        text = metafile.read_text()
        config_line = f'    Config: configs/baselines/{PUBLISHED}.py\n'
        assert text.count(config_line) == 1
        metafile.write_text(text.replace(config_line, config_line + f'    Weights: {url}\n'))

        pip = [sys.executable, '-m', 'pip', '--disable-pip-version-check', '-q']
        subprocess.run(
            pip +
            ['wheel', '--no-deps', '--no-build-isolation', '-w',
             str(tmp / 'dist'),
             str(src)],
            check=True,
            capture_output=True)
        (wheel, ) = (tmp / 'dist').glob('mmstvg-*.whl')
        site = tmp / 'site'
        subprocess.run(
            pip +
            ['install', '--no-deps', '--no-index', '--target',
             str(site), str(wheel)],
            check=True,
            capture_output=True)
        env = dict(
            os.environ,
            PYTHONPATH=str(site),
            OMP_NUM_THREADS='1',
            NO_PROXY='127.0.0.1,localhost',
            no_proxy='127.0.0.1,localhost')
        yield dict(site=str(site), published=published, url=url, env=env, tmp=tmp)
    finally:
        server.shutdown()
        server.server_close()


def mim(args, env, cwd, expect_ok=True, timeout=600):
    """Run ``mim ARGS`` (openmim's CLI, as the ``mim`` command runs it); its output."""
    proc = subprocess.run(
        [sys.executable, '-m', 'mim'] + list(args),
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout)
    out = proc.stdout + proc.stderr
    if expect_ok:
        assert proc.returncode == 0, f'mim {" ".join(args)} -> {proc.returncode}\n{out[-3000:]}'
    return out


def _search_json(path) -> dict:
    """``mim search --json``'s file (pandas' column-major JSON) as {config id: {field: value}}."""
    rows = {}
    for field, column in json.load(open(path)).items():
        for config, value in column.items():
            row = rows.setdefault(config, {})
            if value is not None:
                row[field] = value
    return rows


def _source_models():
    index = yaml.safe_load(open(osp.join(REPO, 'model-index.yml')))
    models = {}
    for meta_file in index['Import']:
        for model in yaml.safe_load(open(osp.join(REPO, meta_file)))['Models']:
            models[model['Name']] = model
    return models


def test_the_wheel_carries_the_mim_files(release):
    mim_dir = osp.join(release['site'], 'mmstvg', '.mim')
    for name in ('model-index.yml', 'tools/train.py', 'tools/test.py',
                 'tools/model_converters/publish_model.py', 'demo/demo_video.py',
                 f'configs/baselines/{PUBLISHED}.py', 'configs/_base_/default_runtime.py'):
        path = osp.join(mim_dir, name)
        assert osp.isfile(path) and not osp.islink(path), name


def test_mim_search(release, tmp_path):
    env, models = release['env'], _source_models()
    out = mim(['search', 'mmstvg', '--json', str(tmp_path / 'all.json')], env, tmp_path)
    found = _search_json(tmp_path / 'all.json')
    assert sorted(found) == sorted(models)
    assert found[PUBLISHED]['weight'] == release['url']
    assert found[PUBLISHED]['config'] == f'configs/baselines/{PUBLISHED}.py'
    # every value shows in the default 80 columns (the result labels are short)
    out = mim(['search', 'mmstvg', '--config', PUBLISHED], env, tmp_path)
    assert re.search(r'synthetic stvg val/m_viou\s+30.5', out), out
    # filters: by model (collection), by metric
    mim(['search', 'mmstvg', '--model', 'gkcmn', '--json',
         str(tmp_path / 'gk.json')], env, tmp_path)
    gkcmn = {n for n, m in models.items() if m['In Collection'] == 'GKCMN'}
    assert set(_search_json(tmp_path / 'gk.json')) == gkcmn
    mim(['search', 'mmstvg', '--condition', 'm_viou>40', '--json',
         str(tmp_path / 'c.json')], env, tmp_path)
    above = {
        n
        for n, m in models.items()
        for r in m.get('Results') or [] if r['Metrics'].get('m_vIoU', 0) > 40
    }
    assert above and set(_search_json(tmp_path / 'c.json')) == above


def test_mim_train_and_test(release, tiny_synth_root, tmp_path):
    """A config file of the user's (the tiny synthetic one) runs through the wheel's
    tools/train.py and tools/test.py; a config given by name is found in the wheel."""
    env, site = release['env'], release['site']
    cfg = tiny_synth_cfg(tiny_synth_root, str(tmp_path / 'work'), max_epochs=1)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.dump(str(tmp_path / 'tiny.py'))
    out = mim(['train', 'mmstvg', 'tiny.py', '--work-dir', 'work'], env, tmp_path)
    assert f'{site}/mmstvg/.mim/tools/train.py' in out
    assert 'Training finished successfully' in out
    assert osp.isfile(tmp_path / 'work' / 'epoch_1.pth')
    out = mim(
        ['test', 'mmstvg', 'tiny.py', '--checkpoint', 'work/epoch_1.pth', '--work-dir', 'test'],
        env, tmp_path)
    assert f'{site}/mmstvg/.mim/tools/test.py' in out and 'm_vIoU' in out

    # by name: the weight-free trivial predictor, on data/synth_stvg of the working folder
    os.makedirs(tmp_path / 'data')
    os.symlink(tiny_synth_root, tmp_path / 'data' / 'synth_stvg')
    torch.save(dict(state_dict={}), tmp_path / 'empty.pth')
    out = mim(['test', 'mmstvg', 'trivial_centre-box_synth.py', '--checkpoint', 'empty.pth'], env,
              tmp_path)
    assert f'will use {site}/mmstvg/.mim/configs/baselines/trivial_centre-box_synth.py' in out
    assert re.search(r'm_tIoU: [\d.]+', out)


def test_mim_download_and_run(release, tiny_synth_root, tmp_path):
    out = mim(['download', 'mmstvg', '--config', PUBLISHED, '--dest', 'ckpts'], release['env'],
              tmp_path)
    published = release['published']
    name = osp.basename(published['path'])
    ckpt = tmp_path / 'ckpts' / name
    assert f'Successfully downloaded {name}' in out
    assert hashlib.sha256(ckpt.read_bytes()).hexdigest() == published['sha256']
    assert published['sha256'].startswith(re.search(r'-([0-9a-f]{8})\.pth$', name).group(1))
    config = tmp_path / 'ckpts' / f'{PUBLISHED}.py'
    assert config.is_file()
    # the downloaded config and weights ground a sentence (data root: the tiny benchmark)
    cfg = set_synthetic_data_root(Config.fromfile(str(config)), tiny_synth_root)
    model = init_grounder(cfg, str(ckpt))
    expected = torch.load(published['path'], weights_only=True)['state_dict']
    for key, value in model.state_dict().items():
        assert torch.equal(value, expected[key]), key
    video = osp.join(tiny_synth_root, 'videos', 'val_00000.mp4')
    pred = inference_grounder(model, video, 'The big red square moves left.')
    assert 0 <= pred.span[0] <= pred.span[1] <= pred.num_frames


def _editable_checkout():
    """The checkout of the environment's editable install of mmstvg, or None (the checkout's
    own ``mmstvg.egg-info``, found first from its root, is not the install)."""
    for dist in metadata.distributions(name='mmstvg'):
        info = json.loads(dist.read_text('direct_url.json') or '{}')
        if info.get('dir_info', {}).get('editable'):
            return osp.realpath(info.get('url', '').replace('file://', '', 1))
    return None


def test_mim_uses_the_editable_checkout(tmp_path):
    """What ``tools/setup_env.sh`` installs: mim finds this checkout's model index, configs and
    tools (through ``<site-packages>/mmstvg/.mim``), and ``import mmstvg`` is the checkout's."""
    checkout = _editable_checkout()
    if checkout != osp.realpath(REPO):
        reason = (f'the environment\'s mmstvg is not an editable install of this checkout '
                  f'({checkout}); tools/setup_env.sh makes one')
        if os.environ.get('CI'):
            pytest.fail(reason + ', and CI runs it')
        pytest.skip(reason)
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    mim(['search', 'mmstvg', '--json', str(tmp_path / 'all.json')], env, tmp_path)
    assert sorted(_search_json(tmp_path / 'all.json')) == sorted(_source_models())
    code = ('import os, mmstvg; from mim.utils import get_installed_path; '
            'root = get_installed_path("mmstvg"); '
            'print(os.path.realpath(os.path.join(root, ".mim", "tools", "train.py"))); '
            'print(os.path.realpath(mmstvg.__file__))')
    out = subprocess.run([sys.executable, '-c', code],
                         env=env,
                         cwd=tmp_path,
                         capture_output=True,
                         text=True,
                         check=True).stdout.split()
    assert out[-2:] == [
        osp.join(osp.realpath(REPO), 'tools', 'train.py'),
        osp.join(osp.realpath(REPO), 'mmstvg', '__init__.py')
    ]
