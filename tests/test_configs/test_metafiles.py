"""The metafiles (model-index.yml): what mim and STVGInferencer read from them holds.

- every model's ``Name`` is its config's file name (``mim search`` shows the name as the
  "config id" that ``mim train / test / download`` and ``STVGInferencer`` take);
- result labels are short enough for ``mim search``'s 80-column table (a longer key pushes
  every value off the line);
- a ``Weights:`` line is a published release asset, named as ``publish_model.py`` names it
  (``-<sha256[:8]>.pth``), or, for a model ported with its authors' weights, the authors'
  checkpoint named in a complete ``Converted From:`` block (docs/model_zoo/publishing.md).
"""
import glob
import os.path as osp
import re

import pytest
import yaml

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MIM_WIDTH = 80  # mim search's default --display-width
HASHED_NAME = re.compile(r'-[0-9a-f]{8}\.pth$')


def _models():
    index = yaml.safe_load(open(osp.join(REPO, 'model-index.yml')))
    for meta_file in index['Import']:
        for model in yaml.safe_load(open(osp.join(REPO, meta_file)))['Models']:
            yield meta_file, model


def weights_problems(model: dict, repo: str = REPO) -> list:
    """What is wrong with the ``Weights`` / ``Converted From`` of one metafile entry."""
    problems = []
    url = model.get('Weights')
    source = model.get('Converted From')
    if source is not None:
        for key in ('Weights', 'Code', 'Converter'):
            if not source.get(key):
                problems.append(f'Converted From has no {key}')
        for key in ('Weights', 'Code'):
            if source.get(key) and not re.match(r'https?://', source[key]):
                problems.append(f'Converted From {key} {source[key]!r} is not an http(s) URL')
        converter = source.get('Converter')
        if converter and not osp.isfile(osp.join(repo, converter)):
            problems.append(f'converter {converter} does not exist')
        if not url:
            problems.append('Converted From without Weights')
    if url:
        if not re.match(r'https?://', url):
            problems.append(f'Weights {url!r} is not an http(s) URL')
        converted_original = source is not None and url == source.get('Weights')
        if not converted_original and not HASHED_NAME.search(url):
            problems.append(f'Weights {url!r} is not named <name>-<sha256[:8]>.pth '
                            '(tools/model_converters/publish_model.py)')
    return problems


def test_every_model_is_named_after_its_config():
    models = list(_models())
    assert len(models) > 20
    for meta_file, model in models:
        assert osp.isfile(osp.join(REPO, model['Config'])), (meta_file, model['Config'])
        stem = osp.splitext(osp.basename(model['Config']))[0]
        assert model['Name'] == stem, meta_file


def test_result_labels_fit_mim_search():
    for meta_file, model in _models():
        for result in model.get('Results') or []:
            for metric in result['Metrics']:
                key = f'{result["Dataset"]}/{metric}'.lower()
                # mim pads keys to the longest + 2 and cuts values at the display width
                assert len(key) + 2 <= MIM_WIDTH - 30, (meta_file, model['Name'], key)


def test_weights_follow_the_publishing_convention():
    for meta_file, model in _models():
        assert weights_problems(model) == [], (meta_file, model['Name'])


@pytest.mark.parametrize(
    'entry,problem',
    [(dict(Weights='https://h/r/releases/download/v1/x_20260101-0123abcd.pth'), None),
     (dict(Weights='https://h/r/releases/download/v1/x.pth'), 'is not named'),
     (dict(Weights='work_dirs/x-0123abcd.pth'), 'not an http'),
     (dict(
         Weights='https://authors/x.pth',
         **{
             'Converted From':
             dict(
                 Weights='https://authors/x.pth',
                 Code='https://g/a/b',
                 Converter='tools/model_converters/publish_model.py')
         }), None),
     (dict(
         Weights='https://authors/x.pth',
         **{
             'Converted From':
             dict(
                 Weights='https://authors/x.pth',
                 Code='https://g/a/b',
                 Converter='tools/model_converters/nope2mmstvg.py')
         }), 'does not exist'),
     (dict(Weights='https://authors/x.pth', **{'Converted From': dict(Code='https://g')
                                               }), 'has no Weights')])
def test_weights_check_catches_what_it_should(entry, problem):
    found = weights_problems(entry)
    if problem is None:
        assert found == []
    else:
        assert any(problem in p for p in found), found


def test_every_metafile_is_in_the_model_index():
    """mim search and STVGInferencer read only what model-index.yml imports: a model folder's
    metafile left out of it is invisible to them (STCAT's was, when it landed)."""
    index = yaml.safe_load(open(osp.join(REPO, 'model-index.yml')))
    on_disk = sorted(
        osp.relpath(path, REPO)
        for path in glob.glob(osp.join(REPO, 'configs', '*', 'metafile.yml')))
    assert sorted(index['Import']) == on_disk
