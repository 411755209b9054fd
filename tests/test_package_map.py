"""docs/advanced_guides/package_map.md says which package of mmstvg may import which (its
"Layers" table, and the files that cross it on purpose): every import of ``mmstvg/`` (at
module level or inside a function) keeps to it, and every package is in the table."""
import ast
import glob
import os.path as osp
import re

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DOC = osp.join(REPO, 'docs', 'advanced_guides', 'package_map.md')


def _tables():
    """(allowed {package: set of packages}, exceptions {file: set of packages})."""
    allowed, exceptions = {}, {}
    for line in open(DOC, encoding='utf-8'):
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if len(cells) == 3 and re.fullmatch(r'`mmstvg\.\w+`', cells[0]):
            allowed[cells[0][8:-1]] = set(re.findall(r'`(\w+)`', cells[2]))
        elif len(cells) == 3 and re.fullmatch(r'`mmstvg/[\w/]+\.py`', cells[0]):
            exceptions[cells[0][1:-1]] = set(re.findall(r'`(\w+)`', cells[1]))
    return allowed, exceptions


def _imported_packages(path):
    """The mmstvg packages a file imports (absolute or relative, anywhere in the file)."""
    rel = osp.relpath(path, REPO)
    parts = rel[:-3].split(osp.sep)
    package = parts[:-1]  # the file's package (for __init__.py: its own folder)
    found = set()
    for node in ast.walk(ast.parse(open(path, encoding='utf-8').read())):
        names = []
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
                names = [base + (node.module.split('.') if node.module else [])]
            elif node.module and node.module.split('.')[0] == 'mmstvg':
                names = [node.module.split('.')]
        elif isinstance(node, ast.Import):
            names = [a.name.split('.') for a in node.names if a.name.split('.')[0] == 'mmstvg']
        for name in names:
            if len(name) > 1:
                found.add(name[1])
    return found


def test_the_layering_of_the_package_map_holds():
    allowed, exceptions = _tables()
    packages = sorted(
        osp.basename(osp.dirname(p))
        for p in glob.glob(osp.join(REPO, 'mmstvg', '*', '__init__.py')))
    assert sorted(set(packages) - {'version'}) == sorted(set(allowed) - {'registry'}), \
        'every package of mmstvg/ has its row in the package map'
    assert allowed['registry'] == set() and allowed['structures'] == set()
    for name in exceptions:
        assert osp.isfile(osp.join(REPO, name)), name
    wrong = []
    for path in sorted(glob.glob(osp.join(REPO, 'mmstvg', '**', '*.py'), recursive=True)):
        rel = osp.relpath(path, REPO)
        parts = rel.split(osp.sep)
        own = parts[1][:-3] if len(parts) == 2 else parts[1]
        if own not in allowed:
            continue  # mmstvg/__init__.py, version.py
        ok = allowed[own] | {own, 'version'} | exceptions.get(rel, set())
        for target in sorted(_imported_packages(path) - ok):
            wrong.append(f'{rel} imports mmstvg.{target}')
    assert not wrong, 'imports the package map does not allow:\n' + '\n'.join(wrong)
