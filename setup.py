"""Install mmstvg. Dependencies are pinned in requirements/ (see tools/setup_env.sh for the
order they must be installed in: mmcv 2.1.0 is compiled against torch 2.13.0)."""
import os.path as osp
from setuptools import find_packages, setup


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
