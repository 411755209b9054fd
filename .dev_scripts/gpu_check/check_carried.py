"""Check here, at no device time, that the carried wheels cover the lent GPU machine.

Runs the kit's CPU dry run of the given stages in an empty virtual environment that can import
only

- the standard library and the repository (``mmstvg``, the tools),
- the distributions of the GPU machine's image (``device_packages.txt``, copied from the
  device tool's package list), linked from this environment where installed here,
- the pure-Python wheels of ``.whl/``, installed as ``run.sh`` installs them there; this
  environment's copies stand in for the cp312 binary wheels and for mmcv (built there from
  the sdist).

Any other import fails as it would there, so a missing wheel shows up as a failed stage with
the module named. Python and torch differ from the GPU machine's (3.12, torch 2.11): this
checks which packages are needed, not their binaries.

    python .dev_scripts/gpu_check/check_carried.py            # stages env and model
"""
import argparse
import importlib.metadata as md
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import tempfile
from typing import List

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(HERE))


def _norm(name: str) -> str:
    return re.sub(r'[-_.]+', '-', name).lower()


def device_distributions() -> set:
    with open(osp.join(HERE, 'device_packages.txt')) as f:
        return {_norm(line.split('#')[0].strip()) for line in f if line.split('#')[0].strip()}


# distributions installed here that provide what a device distribution provides there
SAME_AS = {'opencv-python': 'opencv-python-headless'}


def with_requirements(names: set) -> set:
    """``names`` and, recursively, what their installed distributions here require (the
    image is consistent: what its packages need is there, in its own versions)."""
    from packaging.requirements import Requirement
    dists = {_norm(d.metadata['Name'] or ''): d for d in md.distributions()}
    todo, seen = list(names), set()
    while todo:
        n = todo.pop()
        n = SAME_AS.get(n, n)
        if n in seen:
            continue
        seen.add(n)
        here = dists.get(n) or next((d for k, d in dists.items() if SAME_AS.get(k) == n), None)
        for r in (here.requires or []) if here else []:
            req = Requirement(r)
            if req.marker is None or req.marker.evaluate({'extra': ''}):
                todo.append(_norm(req.name))
    return seen


def link_distributions(names: set, dest: str, bin_dir: str) -> List[str]:
    """Symlink into ``dest`` the files (top-level entries) of the distributions installed in
    this environment whose normalised names are in ``names``, and their programs into
    ``bin_dir``; returns the linked names."""
    linked = []
    for dist in md.distributions():
        name = _norm(dist.metadata['Name'] or '')
        if SAME_AS.get(name, name) not in names or not dist.files:
            continue
        root = str(dist.locate_file(''))
        for top in {str(f).split('/')[0] for f in dist.files} - {'..', ''}:
            src, dst = osp.join(root, top), osp.join(dest, top)
            if osp.exists(src) and not osp.lexists(dst):
                os.symlink(src, dst)
        for f in dist.files:  # its programs (ninja for the mmcv build) beside the python
            src = osp.normpath(osp.join(root, str(f)))
            if osp.basename(osp.dirname(src)) == 'bin' and osp.isfile(src):
                dst = osp.join(bin_dir, osp.basename(src))
                if not osp.lexists(dst):
                    os.symlink(src, dst)
        linked.append(name)
    return linked


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--wheels', default=osp.join(REPO, '.whl'))
    p.add_argument('--stages', nargs='+', default=['env', 'model'])
    p.add_argument(
        '--no-mmcv',
        action='store_true',
        help='no mmcv: as there, the model stage builds it from the sdist in .whl/ '
        'and installs it into the carried site (minutes of compiling here)')
    p.add_argument('--jobs', type=int, default=2, help='compile jobs of that build')
    p.add_argument(
        '--budget',
        type=float,
        default=900.0,
        help="the kit's time budget (--no-mmcv: allow for the build here)")
    args = p.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix='gpu_check_carried_')
    venv, site, out = (osp.join(tmp, n) for n in ('venv', 'site', 'out'))
    # an empty virtual environment: only what is linked or carried below can be imported
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', venv], check=True)
    py = osp.join(venv, 'bin', 'python')
    farm = subprocess.run([py, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'],
                          check=True,
                          capture_output=True,
                          text=True).stdout.strip()
    wheels = sorted(
        osp.join(args.wheels, w) for w in os.listdir(args.wheels)
        if w.endswith('.whl') and not w.startswith('mmcv-'))
    # pure-Python wheels are installed as run.sh installs them there; the cp312 binaries
    # cannot load into this Python, so this environment's copies stand in for them, as its
    # mmcv stands in for the one built there
    pure = [w for w in wheels if w.endswith('-none-any.whl')]
    stand_ins = {_norm(osp.basename(w).split('-')[0]) for w in set(wheels) - set(pure)}
    mmcv = set() if args.no_mmcv else {'mmcv'}
    linked = link_distributions(
        with_requirements(device_distributions()) | stand_ins | mmcv, farm, osp.dirname(py))
    os.makedirs(site)
    if pure:
        subprocess.run([
            sys.executable, '-m', 'pip', 'install', '-q', '--no-index', '--no-deps',
            '--no-compile', '--target', site, *pure
        ],
                       check=True)
    print(
        f'[check_carried] {len(linked)} distributions of the image linked, {len(pure)} wheels '
        f'installed, stand-ins: {sorted(stand_ins | mmcv)}',
        flush=True)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([site, REPO]))
    proc = subprocess.run([
        py,
        osp.join(HERE, 'gpu_check.py'), '--cpu', '--out', out, '--wheels', args.wheels, '--site',
        site, '--jobs',
        str(args.jobs), '--budget',
        str(args.budget), '--stages', *args.stages
    ],
                          env=env,
                          cwd=REPO)
    with open(osp.join(out, 'report.json')) as f:
        report = json.load(f)
    print(f'[check_carried] mmcv: {report["mmcv"]}')
    for n, s in report['stages'].items():
        for e in s.get('errors', []):
            print(f'[check_carried] {n}: {e["unit"]}: {e["error"]}')
    print('[check_carried] stages: ' + ', '.join(f'{n} {s["status"]}'
                                                 for n, s in report['stages'].items()))
    shutil.rmtree(tmp, ignore_errors=True)
    bad = [n for n, s in report['stages'].items() if s['status'] != 'ok']
    return 1 if bad or proc.returncode else 0


if __name__ == '__main__':
    sys.exit(main())
