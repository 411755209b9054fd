"""The documentation: the Sphinx site builds with warnings as errors, and every shell command
of the docs and the README names a real script whose arguments parse.

Commands are taken from the ```bash blocks of ``docs/**/*.md`` and ``README.md``. For
``python tools/...`` / ``python demo/...`` the script is run up to its argument parsing
(``ArgumentParser.parse_args`` is stopped right after it succeeds), so a renamed flag or a
missing positional argument fails here; ``python -c`` one-liners run; ``bash`` scripts and
``make`` targets must exist. What the commands then do is covered by the tests of each tool.

It also checks wording that must follow the papers: GKCMN's SC and PC are the serial and
parallel connections of its mixed convolutional network, and ``configs/gkcmn/README.md``
lists under "Paper statements" only what the paper states.
"""
import glob
import os
import os.path as osp
import re
import shlex
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DOC_FILES = sorted(glob.glob(osp.join(REPO, 'docs', '**', '*.md'), recursive=True)) + \
    [osp.join(REPO, 'README.md')]

HARNESS = r'''
import argparse, json, runpy, sys
class Parsed(Exception):
    pass
_orig = argparse.ArgumentParser.parse_args
def parse_args(self, args=None, namespace=None):
    _orig(self, args, namespace)
    raise Parsed()
argparse.ArgumentParser.parse_args = parse_args
failures = []
for script, argv in json.loads(sys.argv[1]):
    sys.argv = [script] + argv
    try:
        runpy.run_path(script, run_name='__main__')
        failures.append([script, argv, 'ran to the end without parsing arguments'])
    except Parsed:
        pass
    except SystemExit as e:
        failures.append([script, argv, f'argument error (exit {e.code})'])
print(json.dumps(failures))
'''


def doc_commands():
    """(file, command) of every shell command in the docs' bash blocks."""
    from mmstvg.testing.docs import doc_commands as commands_of
    return [(osp.relpath(path, REPO), cmd) for path in DOC_FILES for cmd in commands_of(path)]


def _strip_env(words):
    while words and re.match(r'^[A-Z_][A-Z0-9_]*=', words[0]):
        words = words[1:]
    return words


def test_docs_have_commands():
    assert len(doc_commands()) > 30


def _mim_command_problems(args):
    """What is wrong with a documented ``mim ARGS`` (its runs: tests/test_tools/test_mim.py):
    an openmim command for mmstvg, a config that exists (a path, or a name under
    ``configs/`` as mim finds it), a model / config id of the metafiles."""
    import yaml
    if args[:1] not in (['search'], ['train'], ['test'], ['download']) or args[1:2] != ['mmstvg']:
        return ['not `mim search|train|test|download mmstvg ...`']
    index = yaml.safe_load(open(osp.join(REPO, 'model-index.yml')))
    models = [
        m for f in index['Import'] for m in yaml.safe_load(open(osp.join(REPO, f)))['Models']
    ]
    problems = []
    if args[0] in ('train', 'test'):
        config = args[2]
        names = {
            osp.basename(p)
            for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
        }
        if not osp.isfile(osp.join(REPO, config)) and config not in names:
            problems.append(f'no config {config}')
    ids = dict(
        config={m['Name'].lower()
                for m in models},
        model={m['In Collection'].lower()
               for m in models})
    for key, valid in ids.items():
        flag = f'--{key}'
        if flag in args:
            values = args[args.index(flag) + 1:]
            values = values[:next((i for i, v in enumerate(values) if v[:1] == '-'), len(values))]
            for value in values:
                if value.lower() not in valid:
                    problems.append(f'{flag} {value}: not in the metafiles')
    return problems


def test_every_documented_command_is_valid():
    to_parse, errors = [], []
    makefile = open(osp.join(REPO, 'Makefile')).read()
    for where, cmd in doc_commands():
        words = _strip_env(shlex.split(cmd))
        if not words:
            continue
        prog = words[0]
        if prog == 'python' and words[1:2] == ['-c']:
            proc = subprocess.run([sys.executable, '-c', words[2]],
                                  cwd=REPO,
                                  capture_output=True,
                                  text=True,
                                  timeout=300,
                                  env=dict(os.environ, PYTHONPATH=REPO))
            if proc.returncode:
                errors.append(f'{where}: {cmd}: {proc.stderr[-500:]}')
        elif prog == 'python' and words[1:2] == ['-m']:
            continue  # module runs (sphinx, pytest) are exercised by CI itself
        elif prog == 'python':
            script = osp.join(REPO, words[1])
            if not osp.isfile(script):
                errors.append(f'{where}: {cmd}: no such script {words[1]}')
            else:
                to_parse.append([script, words[2:]])
        elif prog == 'bash':
            if not osp.isfile(osp.join(REPO, words[1])):
                errors.append(f'{where}: {cmd}: no such script {words[1]}')
        elif prog == 'make':
            for target in words[1:]:
                if not re.search(rf'^{re.escape(target)}:', makefile, re.M):
                    errors.append(f'{where}: {cmd}: no make target {target}')
        elif prog == 'mim':
            errors += [f'{where}: {cmd}: {why}' for why in _mim_command_problems(words[1:])]
        elif prog in ('source', 'tensorboard', 'cd', 'mkdir', 'wget', 'unzip', 'pip'):
            continue  # shell steps (downloads) around the commands
        else:
            errors.append(f'{where}: {cmd}: unknown command {prog!r}')
    import json
    proc = subprocess.run(
        [sys.executable, '-c', HARNESS, json.dumps(to_parse)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        env=dict(os.environ, PYTHONPATH=REPO))
    assert proc.returncode == 0, proc.stderr[-3000:]
    failures = json.loads(proc.stdout.strip().splitlines()[-1])
    errors += [f'{osp.relpath(s, REPO)} {" ".join(a)}: {why}' for s, a, why in failures]
    assert not errors, '\n'.join(errors)


@pytest.mark.slow
def test_sphinx_builds_without_warnings(tmp_path):
    pytest.importorskip('sphinx')
    pytest.importorskip('myst_parser')
    proc = subprocess.run([
        sys.executable, '-m', 'sphinx', '-W', '--keep-going', '-q', '-b', 'html',
        osp.join(REPO, 'docs'),
        str(tmp_path / 'html')
    ],
                          cwd=REPO,
                          capture_output=True,
                          text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    html = (tmp_path / 'html' / 'model_zoo' / 'models.html').read_text()
    assert 'gkcmn_i3d_vidstg.py' in html and 'STVGFormer' in html  # generated zoo
    assert 'inference_grounder' in (tmp_path / 'html' / 'user_guides' /
                                    'inference.html').read_text()  # API reference
    # the API reference documents every public package (autodoc: an import error or an
    # emptied __all__ leaves its section without objects)
    api = (tmp_path / 'html' / 'api.html').read_text()
    for obj in ('mmstvg.apis.init_grounder', 'mmstvg.apis.STVGInferencer',
                'mmstvg.structures.Tube', 'mmstvg.datasets.HCSTVGDataset',
                'mmstvg.datasets.transforms.SampleSTVGFrames',
                'mmstvg.models.grounders.BaseGrounder', 'mmstvg.models.heads.BaseSpatialHead',
                'mmstvg.evaluation.metrics.STVGMetric', 'mmstvg.evaluation.protocols.BaseProtocol',
                'mmstvg.visualization.STVGVisualizer', 'mmstvg.engine.hooks.STVGVisualizationHook',
                'mmstvg.utils.load_config', 'mmstvg.utils.data_root.move_data_root'):
        assert f'id="{obj}"' in api, obj
    for page in ('changelog', 'advanced_guides/package_map', 'user_guides/useful_tools'):
        assert (tmp_path / 'html' / f'{page}.html').is_file(), page


def _text_files():
    """Every doc, config, metafile and Python source of the package and the tools."""
    patterns = ('docs/**/*.md', 'configs/**/*.md', 'configs/**/*.yml', 'configs/**/*.py',
                'mmstvg/**/*.py', 'tools/**/*.py', '.dev_scripts/**/*.py', '*.md', '*.yml')
    for pattern in patterns:
        yield from sorted(glob.glob(osp.join(REPO, pattern), recursive=True))


def test_no_reference_outside_the_repository():
    """Code, configs, docs and tests point to the repository's own docs (``docs/``, the method
    READMEs), never to files beside the checkout (a ``shared/`` folder one level up)."""
    outside = re.compile(r'(\.\.|/work)/shared/')
    extra = ('tests/**/*.py', '.dev_scripts/**/*.sh', '.dev_scripts/**/*.txt')
    found = []
    for path in list(_text_files()) + sorted(
            p for pattern in extra
            for p in glob.glob(osp.join(REPO, pattern), recursive=True) if osp.isfile(p)):
        for n, line in enumerate(open(path, encoding='utf-8'), 1):
            if outside.search(line):
                found.append(f'{osp.relpath(path, REPO)}:{n}: {line.strip()}')
    assert not found, '\n'.join(found)


def test_gkcmn_sc_and_pc_are_the_serial_and_parallel_connections():
    """GKCMN §2.2 / Table 3: SC and PC are the serial and the parallel connection of the mixed
    convolutional network, not a "spatial conv" or a "proposal conv"."""
    wrong = re.compile(r'spatial[\s-]+conv|proposal[\s-]+conv', re.I)
    found = []
    for path in _text_files():
        for n, line in enumerate(open(path, encoding='utf-8'), 1):
            if wrong.search(line):
                found.append(f'{osp.relpath(path, REPO)}:{n}: {line.strip()}')
    assert not found, '\n'.join(found)
    readme = open(osp.join(REPO, 'configs', 'gkcmn', 'README.md')).read()
    assert 'the serial connection (SC)' in readme and 'the parallel connection (PC)' in readme


def _readme_section(text, heading):
    """The text under the heading that starts with ``heading``, up to the next heading of
    level 1 to 3."""
    start = text.index(heading)
    start = text.index('\n', start)
    nxt = re.search(r'^#{1,3} ', text[start:], re.M)
    return text[start:start + nxt.start() if nxt else len(text)]


def test_gkcmn_paper_statements_are_the_papers():
    """What GKCMN's paper does not state (the box-adaptive σ of Eq. 5, Eq. 6's α and β, d = 32
    as the projection width, which Eq. 4 term "w/o PC" removes) is listed as a choice, once,
    not as a paper statement."""
    readme = open(osp.join(REPO, 'configs', 'gkcmn', 'README.md')).read()
    paper = _readme_section(readme, '### Paper statements the configs follow')
    choices = _readme_section(readme, '### Choices the paper leaves open')
    for phrase in ('σ', 'sigma', 'follows the box', 'box-adaptive', 'CenterNet', 'd = 32',
                   '"w/o PC" =', 'parallel_form'):
        assert phrase not in paper, phrase
    for phrase in ("sigma_mode='box'", 'Why the σ follows the box', 'α = 2, β = 4', 'd = 32',
                   '"w/o PC" = `M_ser + F`', "parallel_form='eq3'"):
        assert choices.count(phrase) == 1, phrase


def test_gkcmn_readme_says_how_the_paper_numbers_were_scored():
    """GKCMN's VidSTG numbers follow STGRN's evaluation; the configs score with mmstvg's
    `sampled` protocol: the README says so, and which frames STGRN scores."""
    readme = open(osp.join(REPO, 'configs', 'gkcmn', 'README.md')).read()
    vidstg = ' '.join(_readme_section(readme, '### VidSTG (paper').split())
    for phrase in ('STGRN', '`sampled`', '5 frames per second', 'at most 200 per video',
                   'no STGRN evaluation code is public', '`declarative/...`'):
        assert phrase in vidstg, phrase
    protocols = open(osp.join(REPO, 'docs', 'evaluation_protocols.md')).read()
    assert 'STGRN' in protocols
