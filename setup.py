"""Install mmstvg. Dependencies are pinned in requirements/ (see tools/setup_env.sh for the
order they must be installed in: mmcv 2.1.0 is compiled against torch 2.13.0).

As mmdetection's and mmaction2's ``setup.py``, installing puts the configs, tools, demo and
``model-index.yml`` under ``mmstvg/.mim`` (:func:`add_mim_extension`), where ``mim search /
train / test / download mmstvg`` and mmengine's ``mmstvg::`` config prefix look for them.
"""
import os
import os.path as osp
import shutil
import sys
import warnings
from setuptools import find_packages, setup

#: What ``mmstvg/.mim`` holds (each a symlink to, or a copy of, the repository's own).
MIM_FILES = ('tools', 'configs', 'demo', 'model-index.yml')


def read_requirements(fname):
    """Parse a requirements file, skipping comments and `-r` includes."""
    reqs = []
    with open(osp.join(osp.dirname(__file__), 'requirements', fname)) as f:
        for line in f:
            line = line.split('#')[0].strip()
            if line and not line.startswith('-'):
                reqs.append(line)
    return reqs


def get_version():
    scope = {}
    with open(osp.join(osp.dirname(__file__), 'mmstvg', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


def add_mim_extension():
    """Put :data:`MIM_FILES` into ``mmstvg/.mim`` (mmdetection's ``add_mim_extension``).

    Symlinks to the repository's own for an editable install (``pip install -e .``: PEP 660's
    ``editable_wheel`` command, or the legacy ``develop``), so that mim runs the checkout's
    current configs and tools; copies for a wheel or a source distribution (``pip install .``,
    ``python -m build``). Any other command (``egg_info``, ``dist_info`` ...) leaves them alone.
    """
    if 'develop' in sys.argv or 'editable_wheel' in sys.argv:
        mode = 'symlink'
    elif 'sdist' in sys.argv or 'bdist_wheel' in sys.argv:
        mode = 'copy'
    else:
        return
    repo_path = osp.dirname(osp.abspath(__file__))
    mim_path = osp.join(repo_path, 'mmstvg', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for filename in MIM_FILES:
        src_path = osp.join(repo_path, filename)
        tar_path = osp.join(mim_path, filename)
        if not osp.exists(src_path):
            warnings.warn(f'{src_path} does not exist: not added to mmstvg/.mim')
            continue
        if osp.islink(tar_path) or osp.isfile(tar_path):
            os.remove(tar_path)
        elif osp.isdir(tar_path):
            shutil.rmtree(tar_path)
        if mode == 'symlink':
            os.symlink(osp.relpath(src_path, osp.dirname(tar_path)), tar_path)
        elif osp.isfile(src_path):
            shutil.copyfile(src_path, tar_path)
        else:
            shutil.copytree(
                src_path, tar_path, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))


add_mim_extension()
setup(
    name='mmstvg',
    version=get_version(),
    description='OpenMMLab-style toolbox and benchmark for spatio-temporal video grounding',
    long_description=open('README.md').read() if osp.exists('README.md') else '',
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'docs')),
    include_package_data=True,
    python_requires='>=3.9',
    install_requires=read_requirements('runtime.txt') + ['mmcv==2.1.0', 'torch'],
    extras_require={
        'tests': read_requirements('tests.txt'),
        'optional': read_requirements('optional.txt'),
        'all': read_requirements('tests.txt') + read_requirements('optional.txt'),
    },
    license='Apache License 2.0',
    zip_safe=False)
