"""tools/data/build_glove_vocab.py: the GloVe lines of the words of a dataset's sentences
(VidSTG, HC-STVG and the synthetic format, through mmstvg's dataset classes), split as the
pipeline's TokenizeWords splits them, read from a tiny generated GloVe-format file; the
output serves GloVeTextEncoder and TokenizeWords as vocabulary and vectors; coverage is
reported and a missing or malformed GloVe file stops the tool."""
import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest
import torch

from mmstvg.datasets.transforms import TokenizeWords
from mmstvg.models.text_encoders import GloVeTextEncoder
from mmstvg.models.text_encoders.glove import read_vocab
from mmstvg.testing import import_script
from .conftest import REPO

build_glove_vocab = import_script('tools/data/build_glove_vocab.py')

DATA = osp.join(REPO, 'tests', 'data')
VID = '11566930393'
VIDSTG_CFG = osp.join(REPO, 'configs', 'gkcmn', 'gkcmn_i3d_vidstg.py')
HCSTVG_CFG = osp.join(REPO, 'configs', 'gkcmn', 'gkcmn_i3d_hcstvg-v2.py')
SYNTH_CFG = osp.join(REPO, 'configs', 'gkcmn', 'gkcmn_r3d18-tiny_1xb8-t32-8e_synth.py')


def _roots(cfg_root):
    return ['--cfg-options'] + [
        f'{split}_dataloader.dataset.data_root={cfg_root}' for split in ('train', 'val', 'test')
    ]


def _vidstg_root(tmp_path, records_file=f'test_annotations_{VID}.json'):
    """data/vidstg with the same records in the three splits (no VidOR box file: the
    sentences do not need them)."""
    root = tmp_path / 'vidstg'
    root.mkdir()
    for split in ('train', 'val', 'test'):
        shutil.copy(osp.join(DATA, 'vidstg', records_file), root / f'{split}_annotations.json')
    return str(root)


def _sentences(records_file=f'test_annotations_{VID}.json'):
    records = json.load(open(osp.join(DATA, 'vidstg', records_file)))
    return [s['description'] for r in records for s in r['captions'] + r['questions']]


def _vector(rng, dim=300):
    return ' '.join(f'{v:.5f}' for v in rng.standard_normal(dim))


def _glove(path, words, dim=300, seed=0, header=False):
    rng = np.random.default_rng(seed)
    lines = [f'{w} {_vector(rng, dim)}' for w in words]
    with open(path, 'w', encoding='utf-8') as f:
        if header:
            f.write(f'{len(lines)} {dim}\n')
        f.write('\n'.join(lines) + '\n')
    return str(path)


def test_vidstg_subset_is_the_glove_lines_of_the_sentence_words(tmp_path, capsys):
    root = _vidstg_root(tmp_path)
    tokenizer = TokenizeWords(vocab_file='')  # the config's: lower-cased
    counts = {}
    for s in _sentences():
        for w in tokenizer.words(s):
            counts[w] = counts.get(w, 0) + 3  # the same records in train, val and test
    words = sorted(counts)
    assert {'the', '?', '.'} <= set(words) and all(w == w.lower() for w in words)
    missing = [w for w in words if w not in ('the', '?', '.')][:3]
    rng = np.random.default_rng(1)
    lines = [
        'zebra ' + _vector(rng),  # not in the sentences
        'The ' + _vector(rng),  # cased: never a token
        'the end ' + _vector(rng),  # a word with a space: not 'the'
        'the ' + _vector(rng)
    ]
    lines += [f'{w} {_vector(rng)}' for w in words if w not in missing]
    lines.append('the ' + _vector(rng))  # listed twice: the last line wins
    big = tmp_path / 'glove.tiny.300d.txt'
    big.write_text('\n'.join(lines) + '\n')
    out = str(tmp_path / 'pretrained' / 'glove_vocab.txt')
    report = str(tmp_path / 'report.json')
    assert build_glove_vocab.main(
        [VIDSTG_CFG, '--glove', str(big), '--out', out, '--report', report] + _roots(root)) == 0
    printed = capsys.readouterr().out
    # the output: the GloVe lines of the sentence words, unchanged, in the file's order
    expected = [ln for ln in lines[3:-1] if ln.split(' ')[0] != 'the'] + [lines[-1]]
    assert open(out).read() == '\n'.join(expected) + '\n'
    found = len(words) - len(missing)
    assert f'coverage: {found} of {len(words)} distinct words found' in printed
    assert f'{len(missing)} missing (-> <unk>)' in printed
    assert 'listed more than once' in printed
    rep = json.load(open(report))
    assert rep['found'] == found and rep['missing'] == len(missing) and rep['dim'] == 300
    assert rep['missing_words'] == {w: counts[w] for w in sorted(missing)}
    assert rep['occurrences'] == sum(counts.values())
    assert [s['split'] for s in rep['sources']] == ['train', 'val', 'test']
    # both readers: TokenizeWords ids index the rows GloVeTextEncoder builds from the subset,
    # the same rows as from the big file
    vocab = read_vocab(out)
    assert vocab[:2] == ['<pad>', '<unk>'] and len(vocab) == 2 + found
    kwargs = dict(embed_dims=300, num_attn_layers=1, num_heads=2, hidden_dims=8)
    small = GloVeTextEncoder(glove_file=out, vocab_file=out, **kwargs)
    whole = GloVeTextEncoder(glove_file=str(big), vocab_file=out, **kwargs)
    torch.testing.assert_close(small.embedding.weight, whole.embedding.weight, rtol=0, atol=0)
    sentence = f'The {missing[0]} {words[-1]} ?'
    ids = TokenizeWords(vocab_file=out).transform(dict(sentence=sentence))['text_input_ids']
    assert ids[1] == 1 and (ids[[0, 2, 3]] > 1).all()
    row = small.embedding.weight[ids[0]].numpy()
    np.testing.assert_allclose(row, np.asarray(lines[-1].split(' ')[1:], dtype=np.float32))


def test_vidstg_and_hcstvg_real_files_in_one_vocabulary(tmp_path, capsys):
    """The real VidSTG val file (3,996 records) and the real HC-STVG v2 query file, read by
    their dataset classes from the GKCMN configs, give one vocabulary."""
    root = _vidstg_root(tmp_path, 'val_annotations.json')  # VidSTG and HC-STVG in one root
    os.makedirs(osp.join(root, 'anno_v2'))
    shutil.copy(
        osp.join(DATA, 'hcstvg', 'query_v2.json'), osp.join(root, 'anno_v2', 'val_v2.json'))
    big = _glove(
        tmp_path / 'glove.txt', ['the', 'man', 'woman', 'holds', '?', 'zzzz'], header=True)
    out = str(tmp_path / 'vocab.txt')
    build_glove_vocab.main([VIDSTG_CFG, '--glove', big, '--out', out, '--splits', 'val'] +
                           _roots(root))
    printed = capsys.readouterr().out
    assert 'val_annotations.json: 8956 sentences' in printed  # 3,996 + 4,960 queries
    assert [ln.split(' ')[0] for ln in open(out)] == ['the', 'man', 'woman', 'holds', '?']
    rep = str(tmp_path / 'rep.json')
    build_glove_vocab.main([
        HCSTVG_CFG, VIDSTG_CFG, '--glove', big, '--out', out, '--splits', 'val', '--report', rep,
        '--cfg-options', f'val_dataloader.dataset.data_root={root}'
    ])
    sources = json.load(open(rep))['sources']
    assert [osp.basename(s['ann_file'])
            for s in sources] == ['val_v2.json', 'val_annotations.json']
    queries = json.load(open(osp.join(DATA, 'hcstvg', 'query_v2.json')))
    assert sources[0]['sentences'] == len(queries)
    assert json.load(open(rep))['words'] > 1000


def test_synthetic_format(tiny_synth_root, tmp_path, capsys):
    """The synthetic benchmark (no TokenizeWords in its pipelines: the default splitting,
    and --out is required)."""
    big = _glove(tmp_path / 'glove.txt', ['the', 'a', 'red', 'blue', 'circle', 'square'], dim=4)
    with pytest.raises(SystemExit, match='no TokenizeWords `vocab_file`.*pass --out'):
        build_glove_vocab.main([SYNTH_CFG, '--glove', big] + _roots(tiny_synth_root))
    out = str(tmp_path / 'vocab.txt')
    build_glove_vocab.main([SYNTH_CFG, '--glove', big, '--out', out, '--dim', '4'] +
                           _roots(tiny_synth_root))
    printed = capsys.readouterr().out
    assert 'no TokenizeWords in its pipelines' in printed and '4-d' in printed
    assert os.path.getsize(out) > 0 and 'the' in [ln.split(' ')[0] for ln in open(out)]


@pytest.mark.parametrize('content, message', [
    (None, 'GloVe file not found: .*glove.txt.*nlp.stanford.edu/projects/glove'),
    (b'PK\x03\x04 zipped', 'is a zip / gzip archive: unzip it'),
    ('the 0.1 0.2 0.3 0.4\nman 0.1 0.2\n', r'glove.txt:2: expected a word and 4 numbers, got 3'),
    ('the 0.1 0.2 0.3 0.4\nis 0.1 0.2 x 0.4\n', r"glove.txt:2: the vector of 'is' is not num"),
    ('zebra 0.1 0.2 0.3 0.4\nokapi 0.1 0.2 0.3 0.4\n', 'none of the .* words is in'),
    ('3 300\nthe 0.1\n', r'holds 300-d vectors \(header\) but 4-d'),
    ('', 'is empty'),
])
def test_bad_glove_files_stop_the_tool(tmp_path, content, message):
    root = _vidstg_root(tmp_path)
    path = tmp_path / 'glove.txt'
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    out = tmp_path / 'vocab.txt'
    with pytest.raises(SystemExit, match=message):
        build_glove_vocab.main(
            [VIDSTG_CFG, '--glove',
             str(path), '--out', str(out), '--dim', '4'] + _roots(root))
    assert not out.exists()


def test_vectors_of_another_size_than_the_encoder(tmp_path):
    """The GKCMN config embeds 300-d words: a 100-d GloVe file (glove.6B.100d) is refused."""
    root = _vidstg_root(tmp_path)
    big = _glove(tmp_path / 'glove.6B.100d.txt', ['the'], dim=100)
    with pytest.raises(SystemExit, match='holds 100-d vectors .* embeds 300-d words'):
        build_glove_vocab.main([VIDSTG_CFG, '--glove', big, '--out',
                                str(tmp_path / 'v.txt')] + _roots(root))


def test_out_defaults_to_the_config_vocabulary_and_never_overwrites_an_input(tmp_path):
    root = _vidstg_root(tmp_path)
    big = _glove(tmp_path / 'glove.txt', ['the'])
    args = build_glove_vocab.parse_args([VIDSTG_CFG])
    assert args.glove == 'data/pretrained/glove.840B.300d.txt' and args.out is None
    from mmengine.config import Config
    cfg = Config.fromfile(VIDSTG_CFG)
    assert build_glove_vocab.default_out([cfg], [VIDSTG_CFG], ['train', 'val', 'test']) == \
        'data/pretrained/glove_vocab.txt' == cfg.model.text_encoder.vocab_file == \
        cfg.model.text_encoder.glove_file
    from mmstvg.utils.path_guard import OverwriteInputError
    with pytest.raises(OverwriteInputError, match='--out .* is the input --glove'):
        build_glove_vocab.main([VIDSTG_CFG, '--glove', big, '--out', big] + _roots(root))
