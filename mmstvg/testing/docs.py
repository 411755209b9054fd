"""The shell commands of the documentation, for tests that run them as documented.

A command is a line of a ```bash (``sh``, ``shell``) block of a Markdown file, with its
``\\``-continued lines joined and a trailing `` # comment`` dropped (comment lines are
skipped). ``tests/test_docs.py`` parses the arguments of every such command; the tests of
a feature run the commands of its page in a sandbox (:func:`doc_sandbox`): a folder where
``configs/``, ``tools/`` and ``demo/`` are the repository's and ``data/`` is what the test
puts there, so that a documented relative path (``data/synth_stvg``,
``work_dirs/<config>/epoch_8.pth``) means what it means for a user in the repository.
"""
import os
import os.path as osp
import re
import shlex
import subprocess
import sys
from typing import Dict, List, Optional

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_BLOCK = re.compile(r'```(?:bash|sh|shell)\n(.*?)```', re.S)


def doc_commands(path: str) -> List[str]:
    """Every shell command of the Markdown file ``path`` (absolute, or relative to the
    repository), in order."""
    path = path if osp.isabs(path) else osp.join(REPO, path)
    found = []
    for block in _BLOCK.findall(open(path, encoding='utf-8').read()):
        joined = re.sub(r'\\\n\s*', ' ', block)
        for line in joined.splitlines():
            line = line.strip()
            if not line.startswith('python -c'):
                line = line.split(' #')[0].strip()
            if line and not line.startswith('#'):
                found.append(line)
    return found


def documented(path: str, *contains: str) -> str:
    """The one command of ``path`` that contains every string of ``contains``.

    Raises:
        LookupError: none or several do (the docs changed: the test must follow).
    """
    hits = [c for c in doc_commands(path) if all(s in c for s in contains)]
    if len(hits) != 1:
        raise LookupError(f'{len(hits)} commands of {path} contain {contains}: {hits}')
    return hits[0]


def doc_sandbox(root: str, data: Optional[Dict[str, str]] = None) -> str:
    """Make ``root`` a place to run documented commands from: ``configs``, ``tools`` and
    ``demo`` link to the repository's, and ``data/<name>`` to each folder of ``data``.

    Args:
        root (str): the sandbox folder (created).
        data (dict, optional): ``{name: folder}``: ``data/<name>`` links to ``folder``.

    Returns:
        str: ``root``.
    """
    os.makedirs(root, exist_ok=True)
    for name in ('configs', 'tools', 'demo'):
        if not osp.lexists(osp.join(root, name)):
            os.symlink(osp.join(REPO, name), osp.join(root, name))
    for name, folder in (data or {}).items():
        os.makedirs(osp.join(root, 'data'), exist_ok=True)
        os.symlink(osp.abspath(folder), osp.join(root, 'data', name))
    return root


def run_documented(command: str, cwd: str, timeout: float = 600) -> str:
    """Run a documented ``python ...`` command in ``cwd`` with this interpreter and mmstvg
    from this repository; return its stdout and stderr.

    Raises:
        AssertionError: the command failed (its output is in the message).
    """
    words = shlex.split(command)
    assert words[0] == 'python', f'not a python command: {command}'
    env = dict(os.environ, PYTHONPATH=REPO)
    proc = subprocess.run(
        [sys.executable] + words[1:],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout)
    assert proc.returncode == 0, f'{command}\n' + proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr
