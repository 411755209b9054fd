# Copyright (c) mmstvg contributors.
"""Let ``mim`` find the checkout of an editable install of mmstvg.

    pip install --use-pep517 --config-settings editable_mode=compat -e .
    python tools/misc/link_mim.py            # tools/setup_env.sh runs both

``mim search / train / test / download mmstvg`` (openmim 0.3.9) and mmengine's ``mmstvg::``
config prefix look for ``<site-packages>/mmstvg/.mim``: the distribution's location joined
with its name (``mim.utils.get_installed_path``). That is right for a wheel, which carries
``mmstvg/.mim`` (setup.py's ``add_mim_extension`` copies the configs, tools, demo and
``model-index.yml`` into it), and for the legacy ``setup.py develop`` installs mim was written
for, which put the checkout on ``sys.path`` through an egg-link. A PEP 660 editable install
(``pip install -e .`` with setuptools >= 64, the only kind setuptools >= 80 makes) puts nothing
under ``site-packages/mmstvg``, so mim fails (``FileNotFoundError: .../model-index.yml``, or
``mim train`` running a ``tools/train.py`` that does not exist: exit status 2).

This script links ``<site-packages>/mmstvg/.mim`` to the checkout's ``mmstvg/.mim`` (the
symlinks to ``configs/``, ``tools/``, ``demo/`` and ``model-index.yml`` that setup.py made for
the editable install), so mim uses the checkout's current configs and tools. The directory
``<site-packages>/mmstvg`` holds nothing else: it is only an incomplete namespace portion, and
the import system takes the checkout's regular package instead, which requires the checkout
itself on ``sys.path``: setuptools' ``compat`` editable mode (a ``.pth`` naming the checkout).
Its default ``lenient`` mode imports through a finder that runs only after the path search,
which would stop at the namespace portion. The script therefore checks, in a fresh
interpreter, that ``import mmstvg`` still gives the checkout's package, and removes the link
(and fails, saying why) when it does not.

``--remove`` removes the link (before ``pip uninstall mmstvg``, which does not know it).
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
from importlib import metadata
from typing import Tuple

DIST = 'mmstvg'


class LinkError(RuntimeError):
    """mmstvg is not installed in a way this script can link for mim."""


def editable_checkout(dist: metadata.Distribution) -> str:
    """The checkout an editable install of ``dist`` points at (PEP 610 ``direct_url.json``).

    Raises:
        LinkError: ``dist`` is not an editable install of a local directory.
    """
    text = dist.read_text('direct_url.json')
    info = json.loads(text) if text else {}
    url = info.get('url', '')
    if not info.get('dir_info', {}).get('editable') or not url.startswith('file://'):
        raise LinkError(f'{DIST} is not installed in editable mode from a local checkout '
                        f'(direct_url.json: {text!r}); a wheel install carries mmstvg/.mim '
                        'itself and needs no link')
    return osp.realpath(url[len('file://'):])


def installed_distribution() -> metadata.Distribution:
    """The installed distribution of mmstvg: the one with a ``direct_url.json`` (a checkout's
    own ``mmstvg.egg-info`` is found first when its root is on ``sys.path``), else the first.

    Raises:
        LinkError: mmstvg is not installed.
    """
    dists = list(metadata.distributions(name=DIST))
    if not dists:
        raise LinkError(f'{DIST} is not installed: pip install -e .')
    return next((d for d in dists if d.read_text('direct_url.json')), dists[0])


def paths(dist: metadata.Distribution = None) -> Tuple[str, str, str]:
    """(checkout, ``<site-packages>/mmstvg``, the checkout's ``mmstvg/.mim``)."""
    dist = dist or installed_distribution()
    checkout = editable_checkout(dist)
    site_dir = osp.join(str(dist.locate_file('')), DIST)
    return checkout, site_dir, osp.join(checkout, DIST, '.mim')


def imported_from(python: str = sys.executable) -> str:
    """``mmstvg.__file__`` in a fresh interpreter (outside the checkout, no PYTHONPATH):
    None for a namespace package."""
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    out = subprocess.run([python, '-c', 'import mmstvg; print(mmstvg.__file__)'],
                         cwd=osp.sep,
                         env=env,
                         capture_output=True,
                         text=True)
    if out.returncode:
        raise LinkError(f'import mmstvg fails: {out.stderr.strip()}')
    return out.stdout.strip().splitlines()[-1]


def remove(site_dir: str) -> bool:
    """Remove ``<site-packages>/mmstvg/.mim`` and the directory if it holds nothing else;
    whether anything was removed."""
    link = osp.join(site_dir, '.mim')
    if not osp.islink(link):
        return False
    os.remove(link)
    if not os.listdir(site_dir):
        os.rmdir(site_dir)
    return True


def link() -> str:
    """Link ``<site-packages>/mmstvg/.mim`` to the checkout's; returns the link.

    Raises:
        LinkError: not an editable install, the checkout has no ``mmstvg/.mim`` (installed
            without setup.py's mim extension), ``site-packages/mmstvg`` already holds a
            package, or ``import mmstvg`` no longer gives the checkout's package with the link
            (not the ``compat`` editable mode): the link is removed again.
    """
    checkout, site_dir, mim_dir = paths()
    if not osp.isfile(osp.join(mim_dir, 'model-index.yml')):
        raise LinkError(f'{mim_dir} has no model-index.yml: reinstall with `pip install -e .` '
                        '(setup.py links the configs, tools, demo and model index there)')
    link_path = osp.join(site_dir, '.mim')
    if osp.exists(site_dir) and set(os.listdir(site_dir)) - {'.mim'}:
        raise LinkError(f'{site_dir} already holds files other than .mim (another install of '
                        f'{DIST}?): not linking')
    os.makedirs(site_dir, exist_ok=True)
    if osp.islink(link_path):
        os.remove(link_path)
    os.symlink(mim_dir, link_path)
    expected = osp.join(checkout, DIST, '__init__.py')
    try:
        found = imported_from()
    except LinkError:
        found = None
    if found is None or found == 'None' or osp.realpath(found) != expected:
        remove(site_dir)
        raise LinkError(
            f'with {link_path}, `import mmstvg` gives {found} instead of {expected}: the '
            'editable install does not put the checkout on sys.path. Reinstall it in '
            'compat mode: pip install --use-pep517 --config-settings editable_mode=compat -e .')
    return link_path


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Link site-packages/mmstvg/.mim to the checkout of an editable install '
        'so that mim (search, train, test, download) finds its configs and tools')
    parser.add_argument('--remove', action='store_true', help='remove the link instead')
    args = parser.parse_args(argv)
    try:
        if args.remove:
            _, site_dir, _ = paths()
            print(f'removed {site_dir}/.mim' if remove(site_dir) else 'no link to remove')
            return
        link_path = link()
    except LinkError as err:
        sys.exit(f'link_mim: {err}')
    print(f'linked {link_path} -> {os.readlink(link_path)}')


if __name__ == '__main__':
    main()
