"""Sphinx configuration of the mmstvg documentation (Markdown through myst-parser).

Build (the tests do it with warnings as errors, tests/test_docs.py):

    python -m sphinx -W -b html docs docs/_build/html

The model zoo page (``model_zoo/models.md``) is generated from the configs' ``metafile.yml``
files at every build (:func:`write_model_zoo`).
"""
import os
import os.path as osp
import sys

DOCS = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(DOCS)
sys.path.insert(0, REPO)

project = 'mmstvg'
author = 'mmstvg contributors'
copyright = '2026, mmstvg contributors'
extensions = ['myst_parser', 'sphinx.ext.autodoc', 'sphinx.ext.napoleon']
source_suffix = {'.md': 'markdown'}
exclude_patterns = ['_build']
myst_heading_anchors = 3
html_theme = 'furo'
html_title = 'mmstvg'
autodoc_mock_imports = []
napoleon_google_docstring = True


def _fmt(value):
    return '-' if value is None else (f'{value:g}' if isinstance(value, float) else str(value))


def write_model_zoo(out: str = osp.join(DOCS, 'model_zoo', 'models.md')) -> str:
    """Render every config's metafile entry (collections, configs, results) to Markdown."""
    import yaml
    with open(osp.join(REPO, 'model-index.yml')) as f:
        index = yaml.safe_load(f)
    lines = [
        '# Models', '',
        'Generated from `configs/*/metafile.yml` (listed in `model-index.yml`) when the '
        'documentation is built. Paper results are the papers\' numbers, labelled as '
        'such; synthetic results were measured with mmstvg.', ''
    ]
    for meta_file in index['Import']:
        with open(osp.join(REPO, meta_file)) as f:
            meta = yaml.safe_load(f)
        for coll in meta.get('Collections', []):
            lines += [f'## {coll["Name"]}', '']
            paper = coll.get('Paper', {})
            if paper.get('Title'):
                lines += [f'Paper: *{paper["Title"]}*. README: `{coll.get("README", "")}`.', '']
            models = [m for m in meta.get('Models', []) if m.get('In Collection') == coll['Name']]
            lines += [
                '| config | dataset (results) | m_tIoU | m_vIoU | vIoU@0.3 | vIoU@0.5 |',
                '|---|---|---|---|---|---|'
            ]
            for m in models:
                results = m.get('Results') or [dict(Dataset='-', Metrics={})]
                for r in results:
                    mt = r.get('Metrics', {})
                    lines.append(f'| `{m["Config"]}` | {r.get("Dataset", "-")} | ' + ' | '.join(
                        _fmt(mt.get(k))
                        for k in ('m_tIoU', 'm_vIoU', 'vIoU@0.3', 'vIoU@0.5')) + ' |')
            lines.append('')
    os.makedirs(osp.dirname(out), exist_ok=True)
    text = '\n'.join(lines)
    if not osp.isfile(out) or open(out).read() != text:
        with open(out, 'w') as f:
            f.write(text)
    return out


write_model_zoo()
