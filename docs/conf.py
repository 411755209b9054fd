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


def _weights(model: dict) -> str:
    """The model's ``Weights`` as a link (``-`` when none is published), and the original
    checkpoint it was converted from."""
    url = model.get('Weights')
    if not url and (model.get('Metadata') or {}).get('Parameters') == 0:
        return 'none needed'
    text = f'[{url.rsplit("/", 1)[-1]}]({url})' if url else '-'
    source = model.get('Converted From') or {}
    if source.get('Weights') and source['Weights'] != url:
        text += f' (converted from [the authors\' checkpoint]({source["Weights"]}))'
    return text


def write_model_zoo(out: str = osp.join(DOCS, 'model_zoo', 'models.md')) -> str:
    """Render every config's metafile entry (collections, configs, results) to Markdown."""
    import yaml
    with open(osp.join(REPO, 'model-index.yml')) as f:
        index = yaml.safe_load(f)
    lines = [
        '# Models', '',
        'Generated from `configs/*/metafile.yml` (listed in `model-index.yml`) when the '
        'documentation is built; `mim search mmstvg` lists the same entries. Results labelled '
        '"(paper)" are the papers\' numbers from the authors\' evaluation, not reproduced '
        'here (see each README); synthetic results were measured with mmstvg: "Synthetic '
        'STVG val" on the 200 validation queries of the benchmark, "(2 epochs)" at the '
        'budget of the synthetic benchmark page, "test (mean of 2 seeds)" on its 1,000 '
        'test queries (per seed: the GKCMN ablations page).', '',
        'Weights: a checkpoint published as a release asset (`mim download mmstvg --config '
        'NAME`); "-" where none is published yet ([Publishing checkpoints](publishing.md) '
        'says how a maintainer publishes one).', ''
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
                '| config | dataset (results) | m_tIoU | m_vIoU | vIoU@0.3 | vIoU@0.5 | weights |',
                '|---|---|---|---|---|---|---|'
            ]
            for m in models:
                results = m.get('Results') or [dict(Dataset='-', Metrics={})]
                for r in results:
                    mt = r.get('Metrics', {})
                    lines.append(f'| `{m["Config"]}` | {r.get("Dataset", "-")} | ' + ' | '.join(
                        _fmt(mt.get(k)) for k in ('m_tIoU', 'm_vIoU', 'vIoU@0.3', 'vIoU@0.5')) +
                                 f' | {_weights(m)} |')
            lines.append('')
    os.makedirs(osp.dirname(out), exist_ok=True)
    text = '\n'.join(lines)
    if not osp.isfile(out) or open(out).read() != text:
        with open(out, 'w') as f:
            f.write(text)
    return out


write_model_zoo()
